//! Nothing from the server reaches a terminal or a file raw, and no secret leaves its place.
//!
//! A hostile stand-in puts escape sequences (screen clear, window title, OSC 52 clipboard), C1
//! controls, DEL, bidi overrides and zero-width characters into every field it serves: key
//! names, ids, scopes, subuser names and emails, error messages, fields and help, non-JSON
//! bodies and HTML titles. Every command and format is run against it and its whole output is
//! checked byte by byte.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::hostile::{Hostile, Reply, Seen, fake_key, id_of};

use crate::common::env::BIN;

/// Everything a terminal must never receive from a server.
const EVIL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;cHduZWQ=\u{7}\u{9b}31m\u{7f}\u{202e}gpj.exe\u{200b}\u{feff}";

/// The first forbidden character in `text`, if any: a byte below 0x20 other than newline and
/// tab, DEL, a C1 control, a bidi embedding/override/isolate, or a zero-width character.
fn forbidden(text: &str) -> Option<(usize, char)> {
    text.char_indices().find(|(_, c)| {
        let c = *c;
        (c < ' ' && c != '\n' && c != '\t')
            || c == '\u{7f}'
            || ('\u{80}'..='\u{9f}').contains(&c)
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
    })
}

fn assert_clean(what: &str, text: &str) {
    if let Some((i, c)) = forbidden(text) {
        let from = text[..i].char_indices().rev().nth(40).map_or(0, |(j, _)| j);
        panic!(
            "{what}: U+{:04X} at byte {i}, after {:?}",
            c as u32,
            &text[from..i]
        );
    }
}

fn caller() -> String {
    fake_key(1)
}

/// An account whose every string is hostile.
async fn evil_server() -> Hostile {
    let keys = [(id_of(&fake_key(2)), 1), (id_of(&fake_key(3)), 2)];
    Hostile::start(move |r: &Seen| {
        let name = |n: usize| format!("key {n} {EVIL}");
        let path = r.path.split('?').next().unwrap_or_default().to_owned();
        if path == "/v3/api_keys" {
            let mut list: Vec<serde_json::Value> = keys
                .iter()
                .map(|(id, n)| json!({"api_key_id": id, "name": name(*n)}))
                .collect();
            // an id no real key has: escapes in it
            list.push(json!({"api_key_id": format!("bad{EVIL}"), "name": "odd"}));
            return Reply::json(200, json!({ "result": list }));
        }
        if let Some(id) = path.strip_prefix("/v3/api_keys/") {
            if let Some((_, n)) = keys.iter().find(|(k, _)| k == id) {
                return Reply::json(
                    200,
                    json!({"api_key_id": id, "name": name(*n),
                           "scopes": ["mail.send", format!("x.{EVIL}"), "api_keys.read"]}),
                );
            }
            return Reply::json(
                404,
                json!({"errors":[{"field": format!("id{EVIL}"), "message": format!("not found {EVIL}"),
                                  "help": format!("see {EVIL}")}]}),
            );
        }
        if path == "/v3/scopes" {
            return Reply::json(200, json!({"scopes": ["api_keys.read", format!("y.{EVIL}")]}));
        }
        if path == "/v3/subusers" {
            return Reply::json(
                200,
                json!([{"id": 1, "username": format!("sub{EVIL}"), "email": format!("a{EVIL}@x"),
                        "disabled": false}]),
            );
        }
        Reply::json(404, json!({"errors":[{"message": EVIL}]}))
    })
    .await
}

fn run(dir: &Path, url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("SENDGRID_API_KEY", caller())
        .env("SGKEYS_BASE_URL", url)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_text_never_reaches_any_output_raw() {
    let server = evil_server().await;
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let id = id_of(&fake_key(2));
    let report = dir.path().join("report");
    let report_s = report.to_string_lossy().into_owned();
    let commands: Vec<Vec<&str>> = vec![
        vec!["list"],
        vec!["list", "--scopes"],
        vec!["list", "--csv"],
        vec!["list", "--json"],
        vec!["list", "--scopes", "--json"],
        vec!["show", &id],
        vec!["show", &id, "--json"],
        vec!["show", "AAAAAAAAAAAAAAAAAAAAAA"],
        vec!["audit"],
        vec!["audit", "--format", "csv"],
        vec!["audit", "--format", "markdown"],
        vec!["audit", "--format", "json"],
        vec!["audit", "--format", "html"],
        vec!["audit", "--format", "html", "--all-subusers"],
        vec!["audit", "--all-subusers"],
        vec!["subusers"],
        vec!["subusers", "--json"],
        vec!["whoami"],
        vec!["diff", &id, "--preset", "mail-send"],
        vec!["revoke", &id, "--dry-run"],
        vec!["journal"],
        vec!["audit", "--format", "markdown", "--out", &report_s],
    ];
    let mut checked = 0;
    for args in &commands {
        let (code, out, err) = run(dir.path(), &url, args);
        assert!(code != 101, "{args:?} panicked: {err}");
        assert_clean(&format!("stdout of {args:?}"), &out);
        if args == &["list"] || args == &["audit"] {
            assert!(
                out.contains("key 1 \u{fffd}"),
                "the name is shown, made visible: {out}"
            );
        }
        assert_clean(&format!("stderr of {args:?}"), &err);
        checked += 1;
    }
    assert_clean(
        "the report file",
        &std::fs::read_to_string(&report).unwrap(),
    );
    // error bodies that are not JSON: an HTML page whose title is hostile
    let html = Hostile::start(|_: &Seen| {
        Reply::html(
            502,
            &format!("<html><head><title>Bad {EVIL} gateway</title></head></html>"),
        )
    })
    .await;
    for args in [vec!["list"], vec!["--timeout", "2", "show", &id]] {
        let (code, out, err) = run(dir.path(), &html.url(), &args);
        assert_eq!(code, 1);
        assert_clean("stdout (HTML error)", &out);
        assert_clean("stderr (HTML error)", &err);
        assert!(err.contains("Bad"), "the title is still said: {err}");
    }
    assert!(checked >= 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn long_names_are_cut_in_tables_and_whole_in_json_and_csv() {
    let long = "n".repeat(10_000);
    let ids: Vec<String> = (10..70).map(|i| id_of(&fake_key(i))).collect();
    let (l, i2) = (long.clone(), ids.clone());
    let server = Hostile::start(move |r: &Seen| {
        let path = r.path.split('?').next().unwrap_or_default().to_owned();
        if path == "/v3/api_keys" {
            let list: Vec<serde_json::Value> = i2
                .iter()
                .enumerate()
                .map(|(n, id)| json!({"api_key_id": id, "name": if n == 0 { l.clone() } else { format!("k{n}") }}))
                .collect();
            return Reply::json(200, json!({ "result": list }));
        }
        let id = path.trim_start_matches("/v3/api_keys/");
        let name = if id == i2[0] { l.clone() } else { "k".into() };
        Reply::json(200, json!({"api_key_id": id, "name": name, "scopes": ["mail.send"]}))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (code, table, _) = run(dir.path(), &server.url(), &["audit"]);
    assert_eq!(code, 0);
    assert!(
        table.len() < 20_000,
        "one long name padded every row: {} bytes",
        table.len()
    );
    assert!(table.contains('…'));
    let (_, json, _) = run(dir.path(), &server.url(), &["list", "--json"]);
    assert!(json.contains(&long), "JSON keeps the whole name");
    let (_, csv, _) = run(dir.path(), &server.url(), &["list", "--csv"]);
    assert!(csv.contains(&long), "CSV keeps the whole name");
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_neutralises_formulas_in_every_column() {
    let server = Hostile::start(|r: &Seen| {
        let path = r.path.split('?').next().unwrap_or_default().to_owned();
        if path == "/v3/api_keys" {
            return Reply::json(
                200,
                json!({"result": [{"api_key_id": "=HYPERLINK(\"x\")", "name": "+cmd"}]}),
            );
        }
        Reply::json(
            200,
            json!({"api_key_id": "=HYPERLINK(\"x\")", "name": "+cmd", "scopes": ["@SUM(1)", "-2+3"]}),
        )
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    for args in [vec!["list", "--csv"], vec!["audit", "--format", "csv"]] {
        let (_, csv, err) = run(dir.path(), &server.url(), &args);
        for line in csv.lines().skip(1) {
            for field in line.split(',') {
                let f = field.trim_start_matches('"');
                assert!(
                    !f.starts_with(['=', '+', '-', '@']),
                    "{args:?}: a field a spreadsheet would run: {f} in {line} ({err})"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_stay_in_their_place() {
    let server = Hostile::start(|_: &Seen| Reply::json(201, json!({}))).await;
    let dir = tempfile::tempdir().unwrap();
    let key = fake_key(50);
    let secret_half = &key[26..];

    // a name that is a key is refused, by create and rename, and never sent
    for args in [
        vec!["create", key.as_str(), "--scope", "mail.send"],
        vec!["rename", "AAAAAAAAAAAAAAAAAAAAAA", &format!("backup {key}")],
    ] {
        let (code, out, err) = run(dir.path(), &server.url(), &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("contains an API key"), "{err}");
        assert!(!out.contains(secret_half) && !err.contains(secret_half));
    }
    assert_eq!(server.count("POST", "/"), 0);
    assert_eq!(server.count("PATCH", "/"), 0);

    // a key where an id was expected: said, never echoed (not even part of it)
    for arg in [format!("{key},"), format!("'{key}'"), key[..40].to_owned()] {
        let (code, out, err) = run(dir.path(), &server.url(), &["revoke", &arg, "--dry-run"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("looks like an API key"), "{err}");
        for part in [&key[26..40], &key[3..25]] {
            assert!(!err.contains(part) && !out.contains(part), "echoed: {err}");
        }
    }

    // a base URL with credentials is refused, and never repeated
    let creds = server.url().replace("http://", "http://admin:hunter2@");
    let (code, out, err) = Command::new(BIN)
        .args(["--base-url", &creds, "whoami"])
        .env_clear()
        .env("HOME", dir.path())
        .env("SENDGRID_API_KEY", caller())
        .output()
        .map(|o| {
            (
                o.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&o.stdout).into_owned(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("credentials"), "{err}");
    assert!(!err.contains("hunter2") && !out.contains("hunter2"));
    assert_eq!(server.requests().len(), 0, "nothing was sent anywhere");
}

/// `sgkeys sim`'s admin key, from its banner.
fn sim_admin_key(args: &[&str], env: &[(&str, &str)]) -> String {
    let v = crate::common::simulator::json_banner(args, env);
    v["admin_key"].as_str().unwrap().to_owned()
}

#[test]
fn the_simulator_admin_key_is_new_on_every_start_and_can_stay_out_of_argv() {
    let a = sim_admin_key(&[], &[]);
    let b = sim_admin_key(&[], &[]);
    assert_ne!(a, b, "a new admin key on every start");
    assert_eq!(
        sim_admin_key(&["--rng-seed", "7"], &[]),
        sim_admin_key(&["--rng-seed", "7"], &[]),
        "the same with a seed"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("admin");
    let key = fake_key(60);
    std::fs::write(&file, format!("{key}\n")).unwrap();
    assert_eq!(
        sim_admin_key(&["--admin-key-file", &file.to_string_lossy()], &[]),
        key
    );
    let other = fake_key(61);
    assert_eq!(
        sim_admin_key(&[], &[("SGKEYS_SIM_ADMIN_KEY", other.as_str())]),
        other
    );
}

#[test]
fn a_killed_simulators_temporary_state_is_removed_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let stale = dir.path().join(".state.json.tmp12345");
    std::fs::write(&stale, "{\"admin_key\":\"SG.x\"}").unwrap();
    let _ = sim_admin_key(&["--state", &state.to_string_lossy()], &[]);
    assert!(
        !stale.exists(),
        "the stale temporary file holding the admin key is gone"
    );
}

/// Names a Markdown renderer would turn into HTML, links, images or emphasis.
const MD_EVIL: [&str; 10] = [
    "<img src=x onerror=alert(1)>",
    "[click](http://evil.example/c)",
    "![pic](http://evil.example/x.png)",
    "<http://evil.example/auto> and <a@evil.example>",
    "<script>alert(2)</script></td></tr><tr><td>",
    "*strong* _em_ ~~gone~~ `code` | pipe \\| slash\\",
    "www.evil.example and http://evil.example/bare and b@evil.example",
    "&lt;b&gt;entity&lt;/b&gt; &amp; &#60;i&#62;",
    "[ref][r] [r]: http://evil.example/ref <!-- comment -->",
    "# heading ## <details open>",
];

/// Every HTML element, link and image `markdown` renders to (CommonMark with GitHub's tables and
/// strikethrough, raw HTML passed through), and its text.
fn render_markdown(markdown: &str) -> (Vec<String>, String) {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let mut made = Vec::new();
    let mut text = String::new();
    // everything but typographic quotes and dashes, which change the text without making anything
    let options = Options::all() - Options::ENABLE_SMART_PUNCTUATION;
    for ev in Parser::new_ext(markdown, options) {
        match ev {
            Event::Html(h) | Event::InlineHtml(h) => made.push(format!("HTML {h}")),
            Event::Start(Tag::Link { dest_url, .. }) => made.push(format!("link {dest_url}")),
            Event::Start(Tag::Image { dest_url, .. }) => made.push(format!("image {dest_url}")),
            Event::FootnoteReference(f) => made.push(format!("footnote {f}")),
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            _ => {}
        }
    }
    (made, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn markdown_reports_keep_hostile_names_as_text() {
    let ids: Vec<String> = (80..90).map(|i| id_of(&fake_key(i))).collect();
    let odd_id = "id`<b>x</b>`[l](http://evil.example/id)".to_owned();
    let (i2, odd) = (ids.clone(), odd_id.clone());
    let server = Hostile::start(move |r: &Seen| {
        let path = r.path.split('?').next().unwrap_or_default().to_owned();
        let name = |i: usize| MD_EVIL[i % MD_EVIL.len()];
        match (r.method.as_str(), path.as_str()) {
            ("GET", "/v3/api_keys") => {
                let mut list: Vec<serde_json::Value> = i2
                    .iter()
                    .enumerate()
                    .map(|(n, id)| json!({"api_key_id": id, "name": name(n)}))
                    .collect();
                list.push(json!({"api_key_id": odd, "name": "odd id"}));
                Reply::json(200, json!({ "result": list }))
            }
            ("GET", "/v3/scopes") => Reply::json(200, json!({"scopes": ["api_keys.read"]})),
            ("GET", "/v3/subusers") => Reply::json(
                200,
                json!([{"id": 1, "username": MD_EVIL[1], "email": MD_EVIL[0], "disabled": false}]),
            ),
            ("DELETE", p) if p.ends_with(&i2[1]) => Reply::json(
                403,
                json!({"errors":[{"field": null, "message": MD_EVIL[0]}]}),
            ),
            ("DELETE", _) => Reply::empty(204),
            (_, p) => {
                let id = p.trim_start_matches("/v3/api_keys/");
                match i2.iter().position(|k| k == id) {
                    Some(n) => Reply::json(
                        200,
                        json!({"api_key_id": id, "name": name(n),
                               "scopes": ["mail.send", "api_keys.create"]}),
                    ),
                    // the odd id arrives percent-encoded
                    None => Reply::json(
                        200,
                        json!({"api_key_id": odd, "name": "odd id", "scopes": ["mail.send"]}),
                    ),
                }
            }
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let url = server.url();
    // journal entries with hostile names, and a hostile error message
    let (_, _, err) = run(dir.path(), &url, &["revoke", &ids[0], &ids[1], "--yes"]);
    assert!(err.contains("Recorded in the journal"), "{err}");
    let mut rendered = 0;
    for args in [
        vec!["audit", "--format", "markdown"],
        vec!["audit", "--all-subusers", "--format", "markdown"],
        vec!["list", "--format", "markdown"],
        vec!["list", "--scopes", "--format", "markdown"],
        vec!["subusers", "--format", "markdown"],
        vec!["journal", "--format", "markdown"],
    ] {
        let (code, md, err) = run(dir.path(), &url, &args);
        assert!(code == 0 || code == 1, "{args:?}: {err}");
        assert!(md.contains('|'), "{args:?} wrote a table: {md}{err}");
        let (made, text) = render_markdown(&md);
        assert!(
            made.is_empty(),
            "{args:?}: server text became {made:?} in:\n{md}"
        );
        let names = if args[0] == "subusers" {
            &MD_EVIL[..2]
        } else if args[0] == "journal" {
            &MD_EVIL[..1]
        } else {
            &MD_EVIL[..]
        };
        for name in names {
            assert!(
                text.contains(name),
                "{args:?}: {name:?} is not shown as it is in:\n{md}"
            );
        }
        rendered += 1;
    }
    assert_eq!(rendered, 6);
}
