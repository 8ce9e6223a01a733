//! The README's examples, for the tests that run them: a fenced block follows a
//! `<!-- NAME -->` marker line.

/// The text of the fenced block after `<!-- marker -->` in README.md (without its fences).
pub fn block(marker: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let tag = format!("<!-- {marker} -->");
    let at = readme
        .find(&tag)
        .unwrap_or_else(|| panic!("README.md has no {tag}"));
    let rest = &readme[at + tag.len()..];
    let open = rest.find("```").expect("a fenced block after the marker");
    let rest = &rest[open..];
    let body = &rest[rest.find('\n').expect("a fence line") + 1..];
    let close = body.find("\n```").expect("the block's closing fence");
    body[..close + 1].to_owned()
}
