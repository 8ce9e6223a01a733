//! The floors of docs/architecture.md held against the code: the floor table there is this
//! test's input, so the doc and the imports cannot drift apart.
//!
//! The table (section "The floors") has one row per floor, top floor first; its second column
//! names that floor's rooms, each in backticks as `name.rs` or `name/` (a top-level module of
//! `src/`; `main.rs` is the binary). A second table whose first header is `beside` names rooms
//! that stand beside the floors: its columns say what they may use and who may use them.
//!
//! Every `use` and inline `crate::`/`super::`/`self::`/child-module path of every `src/**/*.rs`
//! is read (`scan.rs`) and this test fails, naming the file and line, on
//! - an import from a lower floor to a higher one (a room may use its own floor and those below);
//! - a room of `src/` that no floor names, or a name in the table that `src/` lacks;
//! - a circle between rooms;
//! - a circle between files inside one room. A file's use of its own parent modules (`use
//!   super::*` for the room's shared types) does not count: the parent declares the child.
//!   The circles that still stand are listed in [`KNOWN_ROOM_CIRCLES`]; a new one fails, and so
//!   does a listed one that is gone (take it off the list: the list only shrinks).

mod scan;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use scan::{Crate, Import, circles, module_of};

/// Circles between files inside one room that still stand, each as its files sorted and joined
/// by spaces. Only ever remove lines (or files from a line): a circle that is gone, or smaller,
/// fails until its line says so; a new one fails.
const KNOWN_ROOM_CIRCLES: &[&str] = &[];

/// The floors, top first, and the rooms beside them.
#[derive(Debug, Default)]
struct Table {
    floors: Vec<(String, Vec<String>)>,
    beside: Vec<Beside>,
}

#[derive(Debug)]
struct Beside {
    rooms: Vec<String>,
    may_use: Vec<String>,
    used_by: Vec<String>,
}

/// The room names in backticks in one cell: `x.rs` and `x/` are the room `x`.
fn rooms_in(cell: &str, problems: &mut Vec<String>) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|item| {
            let name = item.strip_suffix(".rs").or_else(|| item.strip_suffix('/'));
            match name {
                Some(n) if !n.is_empty() && !n.contains('/') => Some(n.to_string()),
                _ => {
                    problems.push(format!(
                        "docs/architecture.md: `{item}` in the floor table is not a room \
                         (write a top-level module as `name.rs` or `name/`)"
                    ));
                    None
                }
            }
        })
        .collect()
}

fn parse_table(md: &str, problems: &mut Vec<String>) -> Table {
    let mut table = Table::default();
    let Some(start) = md.find("## The floors") else {
        problems.push("docs/architecture.md: no section \"## The floors\"".into());
        return table;
    };
    let section = &md[start + 3..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut kind = "";
    for line in section.lines().map(str::trim) {
        if !line.starts_with('|') {
            kind = "";
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
        {
            continue;
        }
        if kind.is_empty() {
            kind = match cells[0] {
                "floor" => "floor",
                "beside" => "beside",
                _ => "other",
            };
            continue;
        }
        match kind {
            "floor" => {
                let rooms = rooms_in(cells.get(1).copied().unwrap_or(""), problems);
                table.floors.push((cells[0].to_string(), rooms));
            }
            "beside" => table.beside.push(Beside {
                rooms: rooms_in(cells.get(1).copied().unwrap_or(""), problems),
                may_use: rooms_in(cells.get(2).copied().unwrap_or(""), problems),
                used_by: rooms_in(cells.get(3).copied().unwrap_or(""), problems),
            }),
            _ => {}
        }
    }
    if table.floors.is_empty() {
        problems.push("docs/architecture.md: the floor table has no rows".into());
    }
    table
}

/// The room of a file: its top-level module (`main` for the binary); `None` for `lib.rs`, the
/// crate root, which only declares the rooms.
fn room_of(file: &str) -> Option<String> {
    if file == "src/main.rs" {
        return Some("main".into());
    }
    module_of(file).into_iter().next()
}

/// What the check found: problems (each naming a file and line where there is one) and the
/// circles between files inside one room (sorted file lists, with what ties them).
#[derive(Debug, Default)]
struct Findings {
    problems: Vec<String>,
    room_circles: BTreeMap<String, Vec<String>>,
}

fn check(md: &str, files: &[(String, String)]) -> Findings {
    let mut f = Findings::default();
    let table = parse_table(md, &mut f.problems);
    // room -> (floor index, top = 0); beside rooms have none.
    let mut floor_of: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for (i, (name, rooms)) in table.floors.iter().enumerate() {
        for r in rooms {
            if floor_of.insert(r, (i, name)).is_some() {
                f.problems
                    .push(format!("docs/architecture.md: `{r}` is on two floors"));
            }
        }
    }
    let beside_of: BTreeMap<&str, &Beside> = table
        .beside
        .iter()
        .flat_map(|b| b.rooms.iter().map(move |r| (r.as_str(), b)))
        .collect();

    let in_src: BTreeSet<String> = files.iter().filter_map(|(p, _)| room_of(p)).collect();
    for (p, _) in files {
        if let Some(r) = room_of(p)
            && !floor_of.contains_key(r.as_str())
            && !beside_of.contains_key(r.as_str())
        {
            f.problems.push(format!(
                "{p}: the room `{r}` is on no floor of docs/architecture.md (add it to the table)"
            ));
        }
    }
    for r in floor_of.keys().chain(beside_of.keys()) {
        if !in_src.contains(*r) {
            f.problems.push(format!(
                "docs/architecture.md: the floor table names `{r}`, which src/ does not have"
            ));
        }
    }
    f.problems.sort();
    f.problems.dedup();

    let krate = Crate::new(files);
    let imports: Vec<Import> = files
        .iter()
        .flat_map(|(p, text)| krate.imports(p, text))
        .collect();

    // Between rooms: direction, and the graph for circles (with the first import of each arrow).
    let mut room_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut why: BTreeMap<(String, String), &Import> = BTreeMap::new();
    for imp in &imports {
        let (Some(a), Some(b)) = (room_of(&imp.file), room_of(&imp.target)) else {
            continue;
        };
        if a == b {
            continue;
        }
        let at = format!("{}:{}: `{}`", imp.file, imp.line, imp.path);
        match (beside_of.get(a.as_str()), beside_of.get(b.as_str())) {
            (Some(side), _) if !side.may_use.contains(&b) => f.problems.push(format!(
                "{at}: `{a}` stands beside the floors and may use only {:?}, not `{b}`",
                side.may_use
            )),
            (_, Some(side)) if !side.used_by.contains(&a) => f.problems.push(format!(
                "{at}: `{b}` stands beside the floors and only {:?} may use it, not `{a}`",
                side.used_by
            )),
            _ => {}
        }
        if let (Some((fa, na)), Some((fb, nb))) =
            (floor_of.get(a.as_str()), floor_of.get(b.as_str()))
            && fa > fb
        {
            f.problems.push(format!(
                "{at}: an arrow up the floors: `{a}` ({na} floor) imports `{b}` ({nb} floor, \
                 above it)"
            ));
        }
        room_edges.entry(a.clone()).or_default().insert(b.clone());
        why.entry((a, b)).or_insert(imp);
    }
    for circle in circles(&room_edges) {
        f.problems.push(format!(
            "a circle between rooms {circle:?}: {}",
            ties(&circle, &room_edges, &why)
        ));
    }

    // Between files inside one room (a file's use of its own parent modules does not count).
    let mut file_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut why: BTreeMap<(String, String), &Import> = BTreeMap::new();
    for imp in &imports {
        let (from, to) = (module_of(&imp.file), module_of(&imp.target));
        let parent = to.len() < from.len() && from.starts_with(&to);
        if room_of(&imp.file) != room_of(&imp.target) || parent || imp.file == "src/main.rs" {
            continue;
        }
        file_edges
            .entry(imp.file.clone())
            .or_default()
            .insert(imp.target.clone());
        why.entry((imp.file.clone(), imp.target.clone()))
            .or_insert(imp);
    }
    for circle in circles(&file_edges) {
        let tied = ties(&circle, &file_edges, &why);
        f.room_circles.insert(circle.join(" "), vec![tied]);
    }
    f
}

/// The arrows inside one circle, each with the first import that makes it.
fn ties(
    circle: &[String],
    edges: &BTreeMap<String, BTreeSet<String>>,
    why: &BTreeMap<(String, String), &Import>,
) -> String {
    let mut out = Vec::new();
    for a in circle {
        for b in edges.get(a).into_iter().flatten() {
            if circle.contains(b)
                && let Some(imp) = why.get(&(a.clone(), b.clone()))
            {
                out.push(format!(
                    "{a} -> {b} ({}:{} `{}`)",
                    imp.file, imp.line, imp.path
                ));
            }
        }
    }
    out.join("; ")
}

/// Every `src/**/*.rs`, path relative to the crate (`src/api/client.rs`) and text.
fn sources(root: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&root.join("src"), root, &mut out);
    out
}

#[test]
fn the_code_keeps_the_floors_of_docs_architecture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let md = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
    let files = sources(root);
    let f = check(&md, &files);
    let mut problems = f.problems;
    let known: BTreeSet<&str> = KNOWN_ROOM_CIRCLES.iter().copied().collect();
    let files_of =
        |c: &str| -> BTreeSet<String> { c.split_whitespace().map(str::to_string).collect() };
    for (circle, tied) in &f.room_circles {
        if known.contains(circle.as_str()) {
            continue;
        }
        let within = known
            .iter()
            .find(|k| files_of(k).is_superset(&files_of(circle)));
        let what = match within {
            Some(_) => {
                "a listed circle shrank: put this line in its place in KNOWN_ROOM_CIRCLES \
                        (tests/it/architecture.rs)"
            }
            None => "a new circle between files inside one room",
        };
        problems.push(format!("{what}: {circle}\n    {}", tied.join("\n    ")));
    }
    for circle in known {
        let found: BTreeSet<String> = files_of(circle);
        if !f.room_circles.contains_key(circle)
            && !f
                .room_circles
                .keys()
                .any(|c| found.is_superset(&files_of(c)))
        {
            problems.push(format!(
                "this circle of KNOWN_ROOM_CIRCLES (tests/it/architecture.rs) is gone: \
                 remove its line: {circle}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the code and the floors of docs/architecture.md disagree:\n- {}",
        problems.join("\n- ")
    );
}

#[cfg(test)]
mod checks_itself;
