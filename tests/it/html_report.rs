//! `sgkeys audit --format html` rendered by a real browser: the real binary writes the report
//! from the in-process simulator, headless Chromium loads it (`--dump-dom`), and the DOM it
//! built is checked against the JSON audit: every key id, one row per key, the summary counts,
//! the matrix's per-column Full/Read counts, that the inline script ran under the page's own
//! Content-Security-Policy, and that every row is there with the script blocked.
//!
//! Needs `chromium-headless-shell` (or `chromium`); `.ci/run` installs it. Without a browser the
//! test fails and says how to install one (`SGKEYS_CHROMIUM=/path/to/browser` picks another).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::simulator::start;
use serde_json::Value;
use sgkeys::sim::{SimConfig, SimHandle};

use crate::common::env::BIN;

/// A key name a server could send: markup, quotes, a cell end, bidi and control characters.
const HOSTILE: &str = "<script>document.documentElement.setAttribute('data-pwned','1')</script></td>\"'><b>x</b>\u{202e}\u{1b}[2J";

/// The browser: `$SGKEYS_CHROMIUM`, else `chromium-headless-shell`, else `chromium` on PATH.
fn browser() -> PathBuf {
    if let Some(p) = std::env::var_os("SGKEYS_CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium-headless-shell", "chromium"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "no headless browser found: install chromium-headless-shell \
         (`sudo apt-get install chromium-headless-shell`; `.ci/run` does it), \
         or point SGKEYS_CHROMIUM at a Chromium binary"
    );
}

/// The DOM Chromium built from `file` (after the load event), as HTML text.
fn dump_dom(file: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser())
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the browser");
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).map(|_| s)
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let dom = reader.join().unwrap().unwrap();
    assert!(
        dom.contains("<html"),
        "the browser printed no DOM for {}: {dom:?}",
        file.display()
    );
    dom
}

/// The start tags named `name` in `html`, each as its attributes (values unescaped enough for
/// ids and numbers: `&amp;`, `&quot;`, `&lt;`, `&gt;`).
fn tags(html: &str, name: &str) -> Vec<BTreeMap<String, String>> {
    let open = format!("<{name}");
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        if !rest.starts_with([' ', '>', '/']) {
            continue;
        }
        let mut attrs = BTreeMap::new();
        let b = rest.as_bytes();
        let mut j = 0;
        loop {
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                break;
            }
            let start = j;
            while j < b.len() && !matches!(b[j], b'=' | b' ' | b'>') {
                j += 1;
            }
            let key = rest[start..j].to_owned();
            let mut value = String::new();
            if j < b.len() && b[j] == b'=' {
                j += 1;
                if b.get(j) == Some(&b'"') {
                    let end = j + 1 + rest[j + 1..].find('"').unwrap();
                    value = rest[j + 1..end]
                        .replace("&quot;", "\"")
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&amp;", "&");
                    j = end + 1;
                }
            }
            attrs.insert(key, value);
        }
        found.push(attrs);
    }
    found
}

/// The number shown by `<dd data-count="id">N</dd>`.
fn count(dom: &str, id: &str) -> usize {
    let marker = format!("data-count=\"{id}\">");
    let i = dom
        .find(&marker)
        .unwrap_or_else(|| panic!("no summary count {id}"))
        + marker.len();
    let n = &dom[i..i + dom[i..].find('<').unwrap()];
    n.parse()
        .unwrap_or_else(|_| panic!("summary count {id}: {n:?}"))
}

struct Env {
    sim: SimHandle,
    dir: tempfile::TempDir,
}

impl Env {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        let d = self.dir.path();
        Command::new(BIN)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", d)
            .env("XDG_CONFIG_HOME", d.join("config"))
            .env("XDG_STATE_HOME", d.join("state"))
            .env("SENDGRID_API_KEY", self.sim.admin_key().expose())
            .env("SGKEYS_BASE_URL", self.sim.base_url())
            .env("SGKEYS_EU_BASE_URL", self.sim.eu_base_url())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// The JSON audit's numbers, computed the way the HTML summary defines them.
fn expected(json: &Value) -> BTreeMap<&'static str, usize> {
    let keys = json["keys"].as_array().unwrap();
    let contexts = json["contexts"].as_array().unwrap();
    let n = |f: &dyn Fn(&Value) -> bool| keys.iter().filter(|k| f(k)).count();
    let findings = |sev: &str| {
        keys.iter()
            .chain(contexts)
            .flat_map(|x| x["findings"].as_array().cloned().unwrap_or_default())
            .filter(|f| f["severity"] == sev)
            .count()
    };
    BTreeMap::from([
        ("keys", keys.len()),
        ("full_access", n(&|k| k["type"] == "full")),
        ("mint_keys", n(&|k| k["categories"]["api_keys"] == "full")),
        ("billing", n(&|k| k["type"] == "billing")),
        ("unknown_scopes", n(&|k| k["scopes_known"] == false)),
        ("high_risk_keys", n(&|k| k["risk"] == "high")),
        ("findings_high", findings("high")),
        ("findings_medium", findings("medium")),
        ("findings_low", findings("low")),
        ("contexts", contexts.len()),
        (
            "contexts_with_errors",
            contexts.iter().filter(|c| c.get("error").is_some()).count(),
        ),
    ])
}

fn check_report(env: &Env, subusers: bool) {
    let mut args = vec!["audit", "--format", "json"];
    if subusers {
        args.push("--all-subusers");
    }
    let json: Value = serde_json::from_str(&env.ok(&args)).unwrap();
    let file = env
        .dir
        .path()
        .join(if subusers { "all.html" } else { "audit.html" });
    args[2] = "html";
    args.extend(["--out", file.to_str().unwrap()]);
    env.ok(&args);
    let dom = dump_dom(&file);
    let what = if subusers {
        "--all-subusers"
    } else {
        "account"
    };

    // the inline script ran: the policy lets exactly our script run
    let html_tag = &tags(&dom, "html")[0];
    assert_eq!(
        html_tag.get("data-ready").map(String::as_str),
        Some("true"),
        "{what}: the inline script did not run (CSP hash?)"
    );
    assert!(dom.contains("id=\"filter\""), "{what}: no filter box");
    assert!(
        !html_tag.contains_key("data-pwned"),
        "{what}: a key name ran as script"
    );
    assert_eq!(dom.matches("<script").count(), 1, "{what}: one script only");

    // every key id, one row per key, 25 level cells per row
    let keys = json["keys"].as_array().unwrap();
    let rows: Vec<_> = tags(&dom, "tr")
        .into_iter()
        .filter(|t| t.get("class").map(String::as_str) == Some("key"))
        .collect();
    assert_eq!(rows.len(), keys.len(), "{what}: one row per key");
    let mut want: Vec<String> = keys
        .iter()
        .map(|k| k["api_key_id"].as_str().unwrap().to_owned())
        .collect();
    let mut got: Vec<String> = rows.iter().map(|r| r["data-id"].clone()).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "{what}: the key ids");
    let cells: Vec<_> = tags(&dom, "td")
        .into_iter()
        .filter(|t| t.contains_key("data-level"))
        .collect();
    assert_eq!(
        cells.len(),
        keys.len() * 25,
        "{what}: 25 categories per key"
    );

    // summary counts equal the JSON audit's
    for (id, n) in expected(&json) {
        assert_eq!(count(&dom, id), n, "{what}: summary {id}");
    }
    assert!(count(&dom, "full_access") > 0 && count(&dom, "findings_high") > 0);

    // each column's Full and Read counts: its header = its cells = the JSON
    let heads: Vec<_> = tags(&dom, "th")
        .into_iter()
        .filter(|t| t.contains_key("data-cat"))
        .collect();
    assert_eq!(heads.len(), 25);
    let mut full_somewhere = 0;
    for h in &heads {
        let cat = &h["data-cat"];
        for level in ["full", "read"] {
            let head: usize = h[&format!("data-{level}")].parse().unwrap();
            let in_cells = cells
                .iter()
                .filter(|c| &c["data-cat"] == cat && c["data-level"] == level)
                .count();
            let in_json = keys
                .iter()
                .filter(|k| k["categories"][cat.as_str()] == level)
                .count();
            assert_eq!(head, in_cells, "{what}: {cat} {level} header vs cells");
            assert_eq!(head, in_json, "{what}: {cat} {level} header vs JSON");
            if level == "full" {
                full_somewhere += head;
            }
        }
    }
    assert!(full_somewhere > 0);

    // contexts: each one named in the page
    for c in json["contexts"].as_array().unwrap() {
        let name = c["context"].as_str().unwrap_or("(account)");
        assert!(
            tags(&dom, "tr")
                .iter()
                .any(|t| t.get("data-context").map(String::as_str) == Some(name)),
            "{what}: context {name}"
        );
    }

    // the hostile name is text, made visible where it hid characters
    assert!(
        dom.contains("&lt;script&gt;document.documentElement.setAttribute('data-pwned','1')&lt;/script&gt;&lt;/td&gt;\"'&gt;&lt;b&gt;x&lt;/b&gt;\u{fffd}\u{fffd}[2J"),
        "{what}: the hostile name is not shown as text"
    );

    // scripts blocked: the same page with `script-src 'none'` has every row, and the script
    // did not run. (`--blink-settings=scriptEnabled=false` also stops --dump-dom itself,
    // which then prints nothing, so the page's own policy is what switches scripts off.)
    let page = std::fs::read_to_string(&file).unwrap();
    let start = page.find("script-src 'sha256-").unwrap() + "script-src ".len();
    let end = start + page[start..].find(';').unwrap();
    let blocked = page.replacen(&page[start..end], "'none'", 1);
    let off = env.dir.path().join("noscript.html");
    std::fs::write(&off, blocked).unwrap();
    let dom_off = dump_dom(&off);
    assert!(
        !tags(&dom_off, "html")[0].contains_key("data-ready"),
        "{what}: the script ran although blocked"
    );
    let rows_off = tags(&dom_off, "tr")
        .into_iter()
        .filter(|t| t.get("class").map(String::as_str) == Some("key"))
        .filter(|t| !t.contains_key("hidden"))
        .count();
    assert_eq!(rows_off, keys.len(), "{what}: rows without the script");
    for id in ["keys", "full_access", "findings_high"] {
        assert_eq!(count(&dom_off, id), count(&dom, id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_report_in_headless_chromium() {
    let browser = browser();
    let sim = start(SimConfig::fast()).await;
    sim.add_key(None, HOSTILE, &["mail.send"]);
    let env = Env {
        sim,
        dir: tempfile::tempdir().unwrap(),
    };
    // without --out the page goes to stdout, like the other formats; --json conflicts
    let page = env.ok(&["audit", "--format", "html"]);
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    let conflict = env.cmd(&["audit", "--format", "html", "--json"]);
    assert_eq!(conflict.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&conflict.stderr).contains("--format html and --json"));

    let started = Instant::now();
    check_report(&env, false);
    check_report(&env, true);
    eprintln!(
        "html_report: 4 pages rendered by {} in {:.1} s",
        browser.display(),
        started.elapsed().as_secs_f64()
    );
    env.sim.shutdown().await;
}
