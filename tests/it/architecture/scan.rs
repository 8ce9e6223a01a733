//! Reading the crate's own paths: every `use crate::…`, `use super::…`, `use self::…`, a `use`
//! of a child module, and every inline `crate::x::y`, `super::x`, `self::x` or `child::x` path,
//! each resolved to the source file it names. Comments, strings and char literals are skipped
//! by a small tokenizer; inline `mod name { … }` blocks move `super` and `self` as rustc does.

use std::collections::{BTreeMap, BTreeSet};

/// One import: `file` (line `line`) names something in `target` (another source file).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Import {
    pub file: String,
    pub line: usize,
    pub target: String,
    /// The path as written, resolved (`crate::api::client::DEFAULT`), for messages.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// `::`
    Path,
    Punct(char),
}

/// Tokens with their line numbers; comments, strings, chars and lifetimes are dropped.
fn tokens(src: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let ident_char = |ch: char| ch.is_alphanumeric() || ch == '_';
    // Skips a (possibly raw) string starting at `i` (on `"` or the first `#` of a raw string).
    let skip_string = |i: &mut usize, line: &mut usize, raw: bool| {
        let mut hashes = 0;
        if raw {
            while c.get(*i) == Some(&'#') {
                hashes += 1;
                *i += 1;
            }
        }
        *i += 1; // the opening quote
        while *i < c.len() {
            match c[*i] {
                '\n' => *line += 1,
                '\\' if !raw => {
                    if c.get(*i + 1) == Some(&'\n') {
                        *line += 1;
                    }
                    *i += 1;
                }
                '"' if (0..hashes).all(|h| c.get(*i + 1 + h) == Some(&'#')) => {
                    *i += 1 + hashes;
                    return;
                }
                _ => {}
            }
            *i += 1;
        }
    };
    while i < c.len() {
        let ch = c[i];
        match ch {
            '\n' => {
                line += 1;
                i += 1;
            }
            _ if ch.is_whitespace() => i += 1,
            '/' if c.get(i + 1) == Some(&'/') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '/' if c.get(i + 1) == Some(&'*') => {
                let mut depth = 0;
                while i < c.len() {
                    if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if c[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            '"' => skip_string(&mut i, &mut line, false),
            '\'' => {
                if c.get(i + 1) == Some(&'\\') {
                    // An escaped char literal: '\n', '\'', '\u{1F600}'.
                    i += 3;
                    while i < c.len() && c[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if c.get(i + 2) == Some(&'\'') {
                    i += 3; // 'x'
                } else {
                    // A lifetime or a label: 'a, 'static.
                    i += 1;
                    while i < c.len() && ident_char(c[i]) {
                        i += 1;
                    }
                }
            }
            _ if ident_char(ch) => {
                let start = i;
                while i < c.len() && ident_char(c[i]) {
                    i += 1;
                }
                let word: String = c[start..i].iter().collect();
                let next = c.get(i).copied();
                match (word.as_str(), next) {
                    ("r" | "br" | "cr", Some('"' | '#'))
                        if next == Some('"')
                            || c.get(i + 1).is_some_and(|&n| n == '"' || n == '#') =>
                    {
                        skip_string(&mut i, &mut line, true)
                    }
                    ("b" | "c", Some('"')) => skip_string(&mut i, &mut line, false),
                    ("b", Some('\'')) => {
                        i += 1;
                        if c.get(i) == Some(&'\\') {
                            i += 1;
                        }
                        i += 1;
                        while i < c.len() && c[i] != '\'' {
                            i += 1;
                        }
                        i += 1;
                    }
                    _ => out.push((Tok::Ident(word), line)),
                }
            }
            ':' if c.get(i + 1) == Some(&':') => {
                out.push((Tok::Path, line));
                i += 2;
            }
            '$' if c[i + 1..].starts_with(&['c', 'r', 'a', 't', 'e']) => {
                i += 1; // `$crate` in a macro is `crate`
            }
            _ => {
                out.push((Tok::Punct(ch), line));
                i += 1;
            }
        }
    }
    out
}

/// The module path of a source file: `src/api/client.rs` → `api::client`, `src/api/mod.rs` →
/// `api`, `src/lib.rs` → the root. `src/main.rs` is the binary's root: `main`.
pub fn module_of(file: &str) -> Vec<String> {
    let rel = file.trim_start_matches("src/").trim_end_matches(".rs");
    if rel == "lib" {
        return Vec::new();
    }
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The files of the crate by module path, and the `#[macro_export]` macros by name (they live
/// at the crate root but belong to the file that defines them).
pub struct Crate {
    modules: BTreeMap<Vec<String>, String>,
    macros: BTreeMap<String, String>,
}

impl Crate {
    pub fn new(files: &[(String, String)]) -> Crate {
        let mut modules = BTreeMap::new();
        let mut macros = BTreeMap::new();
        for (file, text) in files {
            if file != "src/main.rs" {
                modules.insert(module_of(file), file.clone());
            }
            let toks = tokens(text);
            for w in toks.windows(7) {
                // `#[macro_export] macro_rules! name`
                if let [
                    (Tok::Ident(m), _),
                    (Tok::Punct(']'), _),
                    (Tok::Ident(mr), _),
                    (Tok::Punct('!'), _),
                    (Tok::Ident(name), _),
                    ..,
                ] = &w[2..]
                    && m == "macro_export"
                    && mr == "macro_rules"
                {
                    macros.insert(name.clone(), file.clone());
                }
            }
        }
        Crate { modules, macros }
    }

    /// The file an absolute path (`["api", "client", "Client"]`) names: the file of its longest
    /// module prefix; a `#[macro_export]` macro's file for `crate::name!`.
    fn file_of(&self, abs: &[String]) -> Option<&String> {
        if abs.len() == 1
            && let Some(f) = self.macros.get(&abs[0])
        {
            return Some(f);
        }
        (1..=abs.len())
            .rev()
            .find_map(|n| self.modules.get(&abs[..n]))
    }

    /// Every import of one file.
    pub fn imports(&self, file: &str, text: &str) -> Vec<Import> {
        let toks = tokens(text);
        let is_bin = file == "src/main.rs";
        let base = if is_bin { Vec::new() } else { module_of(file) };
        let mut out = Vec::new();
        // Modules whose names a glob `use` brought in (`use super::*`): a bare `sibling::f`
        // in this file may name a module of theirs.
        let mut globs: Vec<Vec<String>> = Vec::new();
        // Inline `mod name {` blocks: (name, the brace depth inside them).
        let mut inline: Vec<(String, usize)> = Vec::new();
        let mut depth = 0usize;
        let mut i = 0;
        while i < toks.len() {
            let here = || {
                let mut m = base.clone();
                m.extend(inline.iter().map(|(n, _)| n.clone()));
                m
            };
            match &toks[i].0 {
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => {
                    if inline.last().is_some_and(|(_, d)| *d == depth) {
                        inline.pop();
                    }
                    depth = depth.saturating_sub(1);
                }
                Tok::Ident(w) if w == "mod" => {
                    if let (Some((Tok::Ident(name), _)), Some((Tok::Punct('{'), _))) =
                        (toks.get(i + 1), toks.get(i + 2))
                    {
                        depth += 1;
                        inline.push((name.clone(), depth));
                        i += 3;
                        continue;
                    }
                }
                Tok::Ident(w) if w == "use" => {
                    let module = here();
                    let mut leaves = Vec::new();
                    i = use_tree(&toks, i + 1, Vec::new(), &mut leaves);
                    for (mut path, line) in leaves {
                        if path.last().is_some_and(|s| s == "*") {
                            path.pop();
                            if let Some(base) = self.absolute(is_bin, &module, &[], &path, true) {
                                globs.push(base);
                            }
                        }
                        self.push(&mut out, file, is_bin, &module, &globs, &path, line, true);
                    }
                    continue;
                }
                Tok::Ident(w) => {
                    let after_path = i > 0 && toks[i - 1].0 == Tok::Path;
                    if !after_path && toks.get(i + 1).is_some_and(|t| t.0 == Tok::Path) {
                        let module = here();
                        let mut path = vec![w.clone()];
                        let mut j = i + 1;
                        while let (Some((Tok::Path, _)), Some((Tok::Ident(s), _))) =
                            (toks.get(j), toks.get(j + 1))
                        {
                            path.push(s.clone());
                            j += 2;
                        }
                        let line = toks[i].1;
                        self.push(&mut out, file, is_bin, &module, &globs, &path, line, false);
                        i = j;
                        continue;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        out
    }

    /// Resolves `path` (as written in `module`) and records it when it names another file.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &self,
        out: &mut Vec<Import>,
        file: &str,
        is_bin: bool,
        module: &[String],
        globs: &[Vec<String>],
        path: &[String],
        line: usize,
        in_use: bool,
    ) {
        let Some(abs) = self.absolute(is_bin, module, globs, path, in_use) else {
            return;
        };
        if let Some(target) = self.file_of(&abs)
            && target != file
        {
            out.push(Import {
                file: file.to_string(),
                line,
                target: target.clone(),
                path: format!("crate::{}", abs.join("::")),
            });
        }
    }

    /// The absolute module path `path` names from `module` (where `globs` were brought in by
    /// glob), or `None` for an outside crate, a local name or a type's associated item.
    fn absolute(
        &self,
        is_bin: bool,
        module: &[String],
        globs: &[Vec<String>],
        path: &[String],
        in_use: bool,
    ) -> Option<Vec<String>> {
        let first = path.first()?.as_str();
        let mut abs: Vec<String>;
        let mut rest = &path[1..];
        match first {
            "crate" if !is_bin => abs = Vec::new(),
            "sgkeys" if is_bin => abs = Vec::new(),
            "self" => abs = module.to_vec(),
            "super" => {
                abs = module.to_vec();
                abs.pop()?;
                while rest.first().is_some_and(|s| s == "super") {
                    abs.pop()?;
                    rest = &rest[1..];
                }
            }
            _ if is_bin => return None,
            _ => {
                // A child module of this one, named without `self::` (2018 paths), or a module
                // of one that a glob `use` brought in.
                let child = std::iter::once(module)
                    .chain(globs.iter().map(Vec::as_slice))
                    .map(|m| [m, &[first.to_string()]].concat())
                    .find(|m| self.modules.contains_key(m))?;
                // `x::y` outside a `use` must go on into the module to be a path into it.
                if !in_use && rest.is_empty() {
                    return None;
                }
                abs = child;
            }
        }
        abs.extend(rest.iter().filter(|s| *s != "self").cloned());
        Some(abs)
    }
}

/// Reads a use tree from `i` (after `use`): every leaf path with the line of its last segment.
/// Returns the index after the tree (after `;` at the top level).
fn use_tree(
    toks: &[(Tok, usize)],
    mut i: usize,
    prefix: Vec<String>,
    leaves: &mut Vec<(Vec<String>, usize)>,
) -> usize {
    let mut path = prefix;
    let mut line = toks.get(i).map_or(0, |t| t.1);
    loop {
        match toks.get(i) {
            Some((Tok::Ident(w), l)) if w == "as" => {
                line = *l;
                i += 2; // `as name`
            }
            Some((Tok::Ident(w), l)) => {
                path.push(w.clone());
                line = *l;
                i += 1;
            }
            Some((Tok::Path, _)) => i += 1,
            Some((Tok::Punct('*'), l)) => {
                path.push("*".into());
                line = *l;
                i += 1;
            }
            Some((Tok::Punct('{'), _)) => {
                i += 1;
                loop {
                    match toks.get(i) {
                        Some((Tok::Punct('}'), _)) => {
                            i += 1;
                            break;
                        }
                        Some((Tok::Punct(','), _)) => i += 1,
                        None => return i,
                        _ => i = use_tree(toks, i, path.clone(), leaves),
                    }
                }
                // The group was the leaves; nothing of `path` itself is a leaf.
                path.clear();
            }
            _ => break,
        }
    }
    if !path.is_empty() {
        leaves.push((path, line));
    }
    if let Some((Tok::Punct(';'), _)) = toks.get(i) {
        i += 1;
    }
    i
}

/// The files of every strongly connected part of more than one file (Tarjan), each sorted.
pub fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges
        .iter()
        .flat_map(|(a, bs)| std::iter::once(a).chain(bs.iter()))
        .collect();
    let nodes: Vec<&String> = nodes.into_iter().collect();
    let index_of: BTreeMap<&String, usize> =
        nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let succ: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            edges
                .get(*n)
                .map(|bs| bs.iter().map(|b| index_of[b]).collect())
                .unwrap_or_default()
        })
        .collect();
    let n = nodes.len();
    let (mut index, mut low) = (vec![usize::MAX; n], vec![0; n]);
    let (mut on_stack, mut stack, mut next) = (vec![false; n], Vec::new(), 0);
    let mut out = Vec::new();
    // Iterative Tarjan: (node, next successor to look at).
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut call = vec![(root, 0usize)];
        while let Some(top) = call.last_mut() {
            let (v, k) = *top;
            if k == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = succ[v].get(k) {
                top.1 += 1;
                if index[w] == usize::MAX {
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut part = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    part.push(nodes[w].clone());
                    if w == v {
                        break;
                    }
                }
                if part.len() > 1 {
                    part.sort();
                    out.push(part);
                }
            }
        }
    }
    out.sort();
    out
}
