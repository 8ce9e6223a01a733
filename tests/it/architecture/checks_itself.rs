//! The floor check on small made-up crates: it sees what it must and nothing else.

use super::*;

const TABLE: &str = "\
# Architecture

## The floors

| floor | modules | what lives there |
|---|---|---|
| top | `main.rs`, `cli/` | the front (`cli/x.rs` in prose is no room) |
| middle | `api/`, `fetch.rs` | the client |
| ground | `text.rs` | text |

| beside | modules | may use | used by |
|---|---|---|---|
| simulator | `sim/` | `api/` | `cli/` |

## Next section

| floor | modules |
|---|---|
| ignored | `nothing.rs` |
";

fn crate_of(files: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = vec![
        (
            "src/lib.rs".into(),
            "pub mod api; pub mod cli; pub mod fetch; pub mod sim; pub mod text;".into(),
        ),
        (
            "src/main.rs".into(),
            "fn main() { sgkeys::cli::main() }".into(),
        ),
        (
            "src/cli/mod.rs".into(),
            "pub fn main() { crate::sim::start(); }".into(),
        ),
        (
            "src/api/mod.rs".into(),
            "pub mod client; pub use client::Client;".into(),
        ),
        (
            "src/api/client.rs".into(),
            "use super::super::text::clean; pub struct Client;".into(),
        ),
        (
            "src/fetch.rs".into(),
            "use crate::{api::{self, client::Client}, text};".into(),
        ),
        ("src/sim/mod.rs".into(), "use crate::api::Client;".into()),
        ("src/text.rs".into(), "pub fn clean() {}".into()),
    ];
    for (p, t) in files {
        all.retain(|(q, _)| q != p);
        all.push((p.to_string(), t.to_string()));
    }
    all
}

#[test]
fn a_crate_that_keeps_its_floors_passes() {
    let f = check(TABLE, &crate_of(&[]));
    assert_eq!(f.problems, Vec::<String>::new());
    assert!(f.room_circles.is_empty());
}

#[test]
fn an_arrow_up_is_named_by_file_and_line() {
    let text = "// crate::api in a comment\n\n/* crate::fetch */ \"crate::cli\"\npub fn clean() { crate::api::Client; }\n";
    let f = check(TABLE, &crate_of(&[("src/text.rs", text)]));
    assert_eq!(f.problems.len(), 2, "{:?}", f.problems);
    assert_eq!(
        f.problems[0],
        "src/text.rs:4: `crate::api::Client`: an arrow up the floors: `text` (ground floor) \
         imports `api` (middle floor, above it)"
    );
    // `api` uses `text`: the arrow up closes a circle too
    assert!(f.problems[1].starts_with("a circle between rooms [\"api\", \"text\"]"));
}

#[test]
fn a_grouped_use_and_super_in_an_inline_module_are_read() {
    let text = "pub fn clean() {}\n#[cfg(test)]\nmod tests {\n    use super::super::{\n        fetch::{self},\n    };\n}\n";
    let f = check(TABLE, &crate_of(&[("src/text.rs", text)]));
    assert_eq!(f.problems.len(), 2, "{:?}", f.problems);
    assert!(
        f.problems[0].starts_with("src/text.rs:5: `crate::fetch`: an arrow up the floors"),
        "{:?}",
        f.problems
    );
}

#[test]
fn a_circle_between_rooms_is_named_with_what_ties_it() {
    let api = "pub mod client; pub use client::Client; fn f() { crate::fetch::go(); }";
    let f = check(TABLE, &crate_of(&[("src/api/mod.rs", api)]));
    assert_eq!(f.problems.len(), 1, "{:?}", f.problems);
    assert!(f.problems[0].starts_with("a circle between rooms [\"api\", \"fetch\"]: "));
    assert!(f.problems[0].contains("api -> fetch (src/api/mod.rs:1 `crate::fetch::go`)"));
    assert!(f.problems[0].contains("fetch -> api (src/fetch.rs:1 `crate::api`)"));
}

#[test]
fn a_circle_between_files_of_one_room_is_found_but_not_a_use_of_the_parent() {
    let files = [
        (
            "src/api/mod.rs",
            "pub mod a; pub mod b; pub mod client; pub struct Shared;",
        ),
        (
            "src/api/a.rs",
            "use super::*;\nuse super::b::B;\npub struct A;",
        ),
        (
            "src/api/b.rs",
            "use super::Shared;\npub struct B;\nfn f() { super::a::A; }",
        ),
    ];
    let f = check(TABLE, &crate_of(&files));
    assert_eq!(f.problems, Vec::<String>::new());
    let circles: Vec<&String> = f.room_circles.keys().collect();
    assert_eq!(circles, ["src/api/a.rs src/api/b.rs"]);
    let tied = &f.room_circles["src/api/a.rs src/api/b.rs"][0];
    assert!(tied.contains("src/api/a.rs -> src/api/b.rs (src/api/a.rs:2 `crate::api::b::B`)"));
    assert!(tied.contains("src/api/b.rs -> src/api/a.rs (src/api/b.rs:3 `crate::api::a::A`)"));
}

#[test]
fn a_room_beside_uses_and_is_used_only_as_the_table_says() {
    let files = [
        (
            "src/sim/mod.rs",
            "use crate::api::Client;\nuse crate::text::clean;",
        ),
        ("src/fetch.rs", "fn f() { crate::sim::start() }"),
    ];
    let f = check(TABLE, &crate_of(&files));
    assert_eq!(
        f.problems,
        vec![
            "src/sim/mod.rs:2: `crate::text::clean`: `sim` stands beside the floors and may use \
             only [\"api\"], not `text`"
                .to_string(),
            "src/fetch.rs:1: `crate::sim::start`: `sim` stands beside the floors and only \
             [\"cli\"] may use it, not `fetch`"
                .to_string(),
        ]
    );
}

#[test]
fn a_room_missing_from_the_table_or_from_src_is_named() {
    let mut files = crate_of(&[("src/extra.rs", "pub fn x() {}")]);
    files.retain(|(p, _)| p != "src/fetch.rs");
    let f = check(TABLE, &files);
    assert_eq!(
        f.problems,
        vec![
            "docs/architecture.md: the floor table names `fetch`, which src/ does not have"
                .to_string(),
            "src/extra.rs: the room `extra` is on no floor of docs/architecture.md (add it to the \
             table)"
                .to_string(),
        ]
    );
}

#[test]
fn strings_chars_and_lifetimes_hide_no_path_and_make_none() {
    let text = r####"
fn f<'a>(x: &'a str) -> char { let _ = r#"crate::api "quoted""#; let _ = b"crate::api"; '"' }
fn g() -> char { let _ = "esc \" crate::api"; '\'' }
pub fn clean() { let _ = br##"crate::api"##; }
"####;
    let f = check(TABLE, &crate_of(&[("src/text.rs", text)]));
    assert_eq!(f.problems, Vec::<String>::new());
}

#[test]
fn a_sibling_named_through_a_glob_of_the_parent_is_an_arrow() {
    let files = [
        ("src/api/mod.rs", "pub mod a; pub mod b; pub mod client;"),
        (
            "src/api/a.rs",
            "use super::*;\npub fn go() {\n    b::back();\n}",
        ),
        ("src/api/b.rs", "pub fn back() {\n    super::a::go();\n}"),
    ];
    let f = check(TABLE, &crate_of(&files));
    let tied = &f.room_circles["src/api/a.rs src/api/b.rs"][0];
    assert!(tied.contains("src/api/a.rs -> src/api/b.rs (src/api/a.rs:3 `crate::api::b::back`)"));
}
