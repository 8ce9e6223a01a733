//! The Unix-citizen conventions of the real binary: closed pipes, dry runs, one format flag,
//! exit codes, man pages and help, true footers, messages that say what to do (against an
//! in-process simulator, or the hostile stand-in for answers the simulator never gives).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use sgkeys::sim::{SimConfig, SimHandle};

use crate::common::simulator::start;
use crate::hostile::{Hostile, Reply, fake_key, key_json, list_json};

fn cmd(dir: &Path, url: &str, key: &str, args: &[&str]) -> Command {
    crate::common::env::bin_at(dir, url, key, args)
}

fn output(mut c: Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Env {
    sim: SimHandle,
    dir: tempfile::TempDir,
}

impl Env {
    async fn new() -> Env {
        Env {
            sim: start(SimConfig::fast()).await,
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn cmd(&self, args: &[&str]) -> Command {
        cmd(
            self.dir.path(),
            &self.sim.base_url(),
            self.sim.admin_key().expose(),
            args,
        )
    }
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        output(self.cmd(args))
    }
    fn json(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: no JSON ({e}): {out}"))
    }
    fn id_named(&self, name: &str) -> String {
        crate::common::simulator::id_named(&self.sim, name)
    }
    /// Methods other than GET the simulator saw.
    fn changes_sent(&self) -> Vec<String> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

/// Run with stdout's reader closed before the command writes anything: it must end quietly
/// with success, as coreutils do (never a panic, never "Broken pipe").
fn closed_reader(mut c: Command) -> (i32, String) {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code().unwrap_or(-1), err)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_every_command_quietly() {
    let env = Env::new().await;
    for args in [
        vec!["scopes"],
        vec!["scopes", "--json"],
        vec!["completions", "bash"],
        vec!["completions", "zsh"],
        vec!["man"],
        vec!["--help"],
        vec!["list"],
        vec!["list", "--json"],
        vec!["list", "--scopes", "--format", "csv"],
        vec!["audit", "--format", "json"],
        vec!["audit"],
        vec!["subusers", "--format", "markdown"],
        vec!["diff", "AAAAAAAAAAAAAAAAAAAAAA", "--preset", "webhooks"],
    ] {
        let (code, err) = closed_reader(env.cmd(&args));
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
        // diff of an unknown key fails (1) before writing; all else succeeds
        let want = if args[0] == "diff" { 1 } else { 0 };
        assert_eq!(code, want, "{args:?}: {err}");
    }
    env.sim.shutdown().await;
}

/// `--out /dev/stdout` with stdout a pipe (`| less`, a CI log): the report goes into the pipe.
#[tokio::test(flavor = "multi_thread")]
async fn audit_out_dev_stdout_goes_into_a_pipe() {
    let env = Env::new().await;
    for format in ["markdown", "html", "csv"] {
        let (code, out, err) = env.run(&["audit", "--format", format, "--out", "/dev/stdout"]);
        assert_eq!(code, 0, "{format}: {err}");
        assert!(
            out.len() > 200,
            "{format}: the report is in the pipe: {out}{err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_runs_print_the_request_and_send_nothing() {
    let env = Env::new().await;
    let id = env.id_named("tmp-debug");
    env.sim.reset_counters();

    let (code, out, err) = env.run(&["create", "bot", "--scope", "mail.send", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("POST {}/v3/api_keys\n", env.sim.base_url())),
        "{out}"
    );
    assert!(
        out.contains("\"mail.send\"") && err.contains("nothing was sent"),
        "{out}{err}"
    );

    let v = env.json(&["create", "bot", "--full", "--dry-run", "--json"]);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["request"]["method"], "POST");
    assert_eq!(v["request"]["path"], "/v3/api_keys");
    assert_eq!(v["request"]["body"], json!({"name": "bot"}));

    let v = env.json(&["rename", &id, "new name", "--dry-run", "--json"]);
    assert_eq!(v["request"]["method"], "PATCH");
    assert_eq!(v["request"]["path"], format!("/v3/api_keys/{id}"));
    assert_eq!(v["request"]["body"], json!({"name": "new name"}));

    let v = env.json(&["set-scopes", &id, "stats=read", "--dry-run", "--json"]);
    assert_eq!(v["request"]["method"], "PUT");
    assert_eq!(v["request"]["body"]["name"], "tmp-debug");
    let scopes = v["request"]["body"]["scopes"].as_array().unwrap();
    assert!(scopes.contains(&json!("stats.read")), "{scopes:?}");
    assert!(!scopes.iter().any(|s| s == "2fa_required"));
    // a dry run never needs the key to be writable, and never shows the caller's key
    let (code, out, err) = env.run(&["--read-only", "set-scopes", &id, "mail.send", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    let secret = &env.sim.admin_key().expose()[26..];
    assert!(!out.contains(secret) && !err.contains(secret));
    assert!(!out.to_ascii_lowercase().contains("authorization"));
    assert!(env.changes_sent().is_empty(), "{:?}", env.changes_sent());

    // recreate: the journal knows a revoked key
    let (code, _, err) = env.run(&["revoke", &id, "--yes"]);
    assert_eq!(code, 0, "{err}");
    env.sim.reset_counters();
    let v = env.json(&["recreate", &id, "--dry-run", "--json"]);
    assert_eq!(v["request"]["method"], "POST");
    assert_eq!(v["request"]["body"]["name"], "tmp-debug");
    assert!(env.changes_sent().is_empty(), "{:?}", env.changes_sent());
    assert!(env.sim.keys(None).iter().all(|k| k.name != "tmp-debug"));

    // on behalf of a subuser, the header is part of the request shown
    let v = env.json(&[
        "--on-behalf-of",
        "acme-transactional",
        "create",
        "x",
        "--full",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(v["request"]["on_behalf_of"], "acme-transactional");
    assert_eq!(env.sim.mutating_requests(), 0);
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_format_flag_and_conflicts_are_usage_errors() {
    let env = Env::new().await;
    env.sim.reset_counters();
    for args in [
        vec!["list", "--json", "--format", "csv"],
        vec!["list", "--csv", "--format", "json"],
        vec!["list", "--csv", "--json"],
        vec!["audit", "--json", "--format", "csv"],
        vec!["subusers", "--json", "--format", "table"],
        vec!["journal", "--json", "--format", "markdown"],
        vec!["scopes", "--json", "--format", "csv"],
        vec!["audit", "--format", "yaml"],
    ] {
        let (code, out, err) = env.run(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
    }
    assert!(env.sim.requests().is_empty(), "a usage error sent requests");
    // the same format twice is no conflict; --json is --format json
    let a = env.json(&["list", "--json", "--format", "json"]);
    let b = env.json(&["list", "--format", "json"]);
    assert_eq!(a, b);
    let (code, md, _) = env.run(&["list", "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(md.starts_with("| ID | NAME |\n| --- | --- |\n"), "{md}");
    let (_, csv, _) = env.run(&["list", "--format", "csv"]);
    let (_, csv2, _) = env.run(&["list", "--csv"]);
    assert!(csv.starts_with("api_key_id,name\n") && csv == csv2);
    let (_, csv, _) = env.run(&["subusers", "--format", "csv"]);
    assert!(
        csv.starts_with("id,username,email,region,status\n"),
        "{csv}"
    );
    let (_, md, _) = env.run(&["scopes", "--format", "markdown"]);
    assert!(md.starts_with("| ID | LABEL |"), "{md}");
    let (code, csv, _) = env.run(&["audit", "--format", "csv"]);
    assert_eq!(code, 0);
    assert!(csv.lines().count() > 40);
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_diff_and_malformed_ids() {
    let env = Env::new().await;
    let a = env.id_named("ci-deploy: web-frontend (GitHub Actions)");
    let b = env.id_named("jenkins: nightly reports");
    assert_eq!(env.run(&["diff", &a, &a]).0, 0, "equal keys");
    assert_eq!(env.run(&["diff", &a, &b]).0, 1, "different keys");
    let (code, out, _) = env.run(&["diff", &a, &b, "--json"]);
    assert_eq!(code, 1);
    assert!(serde_json::from_str::<Value>(&out).is_ok());
    assert_eq!(env.run(&["diff", &a, "--preset", "nope"]).0, 2);
    assert_eq!(
        env.run(&["diff", &a, "ZZZZZZZZZZZZZZZZZZZZZZ"]).0,
        1,
        "an API error is 1"
    );
    env.sim.reset_counters();
    for args in [
        vec!["show", "bad!id"],
        vec!["diff", "bad!id", &a],
        vec!["rename", "bad!id", "x"],
        vec!["set-scopes", "bad!id", "mail.send"],
        vec!["revoke", "bad!id", "--yes"],
    ] {
        let (code, _, err) = env.run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("is not a key id"), "{err}");
    }
    assert!(env.sim.requests().is_empty(), "{:?}", env.sim.requests());
    env.sim.shutdown().await;
}

#[test]
fn man_pages_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let (code, page, _) = output(cmd(
        dir.path(),
        "http://127.0.0.1:9",
        &fake_key(1),
        &["man"],
    ));
    assert_eq!(code, 0);
    assert!(
        page.contains(".TH sgkeys 1") && page.contains("audit"),
        "{page}"
    );
    let out = dir.path().join("man1");
    std::fs::create_dir(&out).unwrap();
    let (code, _, err) = output(cmd(
        dir.path(),
        "http://127.0.0.1:9",
        &fake_key(1),
        &["man", "--out", out.to_str().unwrap()],
    ));
    assert_eq!(code, 0, "{err}");
    for page in [
        "sgkeys.1",
        "sgkeys-list.1",
        "sgkeys-revoke.1",
        "sgkeys-man.1",
    ] {
        let text = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{page}");
    }
    // a directory that does not exist yet is made, parents too (as on a fresh machine)
    let missing = dir.path().join("share/man/man1");
    let (code, _, err) = output(cmd(
        dir.path(),
        "http://127.0.0.1:9",
        &fake_key(1),
        &["man", "--out", missing.to_str().unwrap()],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(missing.join("sgkeys-revoke.1").is_file());
    // a file in the way is refused, naming it
    let file = dir.path().join("afile");
    std::fs::write(&file, "x").unwrap();
    let (code, _, err) = output(cmd(
        dir.path(),
        "http://127.0.0.1:9",
        &fake_key(1),
        &["man", "--out", file.to_str().unwrap()],
    ));
    assert_eq!(code, 2);
    assert!(err.contains("not a directory"), "{err}");

    for sub in [
        "list",
        "show",
        "create",
        "rename",
        "set-scopes",
        "revoke",
        "audit",
        "diff",
        "journal",
        "recreate",
        "whoami",
        "subusers",
        "scopes",
        "sim",
        "demo",
        "completions",
        "man",
    ] {
        let (code, help, _) = output(cmd(
            dir.path(),
            "http://127.0.0.1:9",
            &fake_key(1),
            &[sub, "--help"],
        ));
        assert_eq!(code, 0);
        assert!(help.contains("Examples:"), "{sub} --help has no examples");
        let own = help.find("Options:").unwrap();
        let global = help.find("Global options:").unwrap();
        assert!(own < global, "{sub}: global options first");
        assert!(
            help[global..].contains("--json") && !help[own..global].contains("--profile"),
            "{sub}"
        );
    }
    let (_, help, _) = output(cmd(dir.path(), "x", &fake_key(1), &["diff", "--help"]));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for p in sgkeys::presets::PRESETS {
        assert!(help.contains(p.name), "diff --help lacks preset {}", p.name);
    }
    let (_, help, _) = output(cmd(dir.path(), "x", &fake_key(1), &["revoke", "--help"]));
    assert!(help.contains("--filter"));
}

#[tokio::test(flavor = "multi_thread")]
async fn footers_say_what_was_shown() {
    let env = Env::new().await;
    let (code, out, err) = env.run(&["list", "--limit", "3"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 4, "{out}");
    assert!(err.contains("3 shown") && !err.contains("/100"), "{err}");
    let (_, _, err) = env.run(&["list"]);
    assert!(err.contains("45 keys") && !err.contains("/100"), "{err}");
    assert_eq!(env.run(&["list", "--limit", "0"]).0, 2);
    // the journal: one entry, then --limit 0 is not "empty"
    let id = env.id_named("tmp-debug");
    assert_eq!(env.run(&["rename", &id, "tmp-debug-2"]).0, 0);
    let (code, out, err) = env.run(&["journal", "--limit", "0"]);
    assert_eq!(code, 0);
    assert!(
        !out.contains("empty") && err.contains("0 shown of 1 entry"),
        "{out}{err}"
    );
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_answers_never_claim_a_limit_of_100() {
    let cfg = SimConfig {
        seed: "bulk:150".parse().unwrap(),
        ..SimConfig::fast()
    };
    let sim = start(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = output(cmd(
        dir.path(),
        &sim.base_url(),
        sim.admin_key().expose(),
        &["list"],
    ));
    assert_eq!(code, 0);
    assert!(err.contains("151 keys") && !err.contains("/100"), "{err}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_403_names_the_scope_the_key_lacks() {
    let env = Env::new().await;
    let weak = env.sim.add_key(None, "mail only", &["mail.send"]);
    let run = |args: &[&str]| {
        output(cmd(
            env.dir.path(),
            &env.sim.base_url(),
            weak.expose(),
            args,
        ))
    };
    let (code, _, err) = run(&["list"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "this key lacks api_keys.read: give it API Keys: Read Access in SendGrid's App"
        ),
        "{err}"
    );
    let (_, out, _) = run(&["list", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("api_keys.read")
    );
    let (_, _, err) = run(&["create", "x", "--full"]);
    assert!(
        err.contains("lacks api_keys.create") && err.contains("Full Access"),
        "{err}"
    );
    let (_, _, err) = run(&["subusers"]);
    assert!(err.contains("lacks subusers.read"), "{err}");
    // a key that holds the scope gets no such hint for another 403 (granting beyond itself)
    let minter = env
        .sim
        .add_key(None, "minter", &["api_keys.read", "api_keys.create"]);
    let (code, _, err) = output(cmd(
        env.dir.path(),
        &env.sim.base_url(),
        minter.expose(),
        &["create", "x", "--scope", "stats.read"],
    ));
    assert_eq!(code, 1);
    assert!(err.contains("403") && !err.contains("lacks"), "{err}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn set_scopes_star_says_what_it_selected() {
    let env = Env::new().await;
    let id = env.id_named("tmp-debug");
    let (code, _, err) = env.run(&["set-scopes", &id, "*", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("'*' selected") && err.contains("categories"),
        "{err}"
    );
    assert!(err.contains("left out") && err.contains("billing"), "{err}");
    let (code, _, err) = env.run(&["set-scopes", &id, "*"]);
    assert_eq!(code, 0, "{err}");
    let held = crate::common::simulator::key_of(&env.sim, &id);
    assert!(held.scopes.iter().all(|s| !s.starts_with("billing")));
    env.sim.shutdown().await;
}

/// Prism serving the official spec: GET-one answers `{"result":[{name, api_key_id}]}` with
/// no scopes, and POST answers the example secret `SG.xxxxxxxx.yyyyyyyy`.
async fn prism_like() -> Hostile {
    Hostile::start(|seen| {
        let path = seen.path.split('?').next().unwrap_or("");
        match (seen.method.as_str(), path) {
            ("GET", "/v3/api_keys") => Reply::json(
                200,
                list_json(&[
                    ("some-apikey-id", "Mail Send"),
                    ("another-apikey-id", "Admin"),
                ]),
            ),
            ("GET", p) if p.starts_with("/v3/api_keys/") => {
                let id = &p["/v3/api_keys/".len()..];
                Reply::json(
                    200,
                    json!({"result": [{"name": "Mail Send", "api_key_id": id}]}),
                )
            }
            ("POST", "/v3/api_keys") => Reply::json(
                201,
                json!({"api_key": "SG.xxxxxxxx.yyyyyyyy", "api_key_id": "qfTQ6KG0QBiwWdJ0-pCLCA",
                       "name": "Mail Send", "scopes": ["mail.send"]}),
            ),
            ("GET", "/v3/scopes") => {
                Reply::json(200, json!({"scopes": ["api_keys.read", "api_keys.create"]}))
            }
            _ => Reply::json(
                404,
                json!({"errors": [{"field": null, "message": "not found"}]}),
            ),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_scopes_are_unknown_risk_and_odd_secrets_are_warned() {
    let prism = prism_like().await;
    let dir = tempfile::tempdir().unwrap();
    let key = fake_key(1);
    let (code, out, err) = output(cmd(
        dir.path(),
        &prism.url(),
        &key,
        &["audit", "--format", "json"],
    ));
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    for k in v["keys"].as_array().unwrap() {
        assert_eq!(k["risk"], "unknown", "{k}");
        assert_eq!(k["scopes_known"], false);
    }
    let (_, table, _) = output(cmd(dir.path(), &prism.url(), &key, &["audit"]));
    assert!(
        table.contains("unknown") && !table.contains(" low "),
        "{table}"
    );
    // the HTML matrix says "unknown" in every cell of such a key, never "No"
    let (code, html, err) = output(cmd(
        dir.path(),
        &prism.url(),
        &key,
        &["audit", "--format", "html"],
    ));
    assert_eq!(code, 0, "{err}");
    let n = v["keys"].as_array().unwrap().len();
    assert!(n > 0);
    assert_eq!(html.matches("data-level=\"unknown\"").count(), n * 25);
    assert!(!html.contains("data-level=\"no\""));
    assert!(html.contains(&format!("<dd data-count=\"unknown_scopes\">{n}</dd>")));
    // a policy cannot pass keys nobody knows the scopes of
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "[[rule]]\nname = \"no full\"\ndeny_types = [\"full\"]\n",
    )
    .unwrap();
    let (code, out, err) = output(cmd(
        dir.path(),
        &prism.url(),
        &key,
        &["audit", "--policy", policy.to_str().unwrap()],
    ));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("unknown"), "{out}");

    let (code, out, err) = output(cmd(
        dir.path(),
        &prism.url(),
        &key,
        &["create", "x", "--scope", "mail.send"],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "SG.xxxxxxxx.yyyyyyyy");
    assert!(
        err.contains("warning") && err.contains("not shaped like a SendGrid key"),
        "{err}"
    );
    let (_, out, _) = output(cmd(
        dir.path(),
        &prism.url(),
        &key,
        &["create", "x", "--scope", "mail.send", "--json"],
    ));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["warning"].as_str().unwrap().contains("not shaped"));
    let _ = key_json; // (the helper set is shared with other modules)
}

/// Simulator fidelity over HTTP: a body over the limit is SendGrid's error body, after
/// authentication, with the rate-limit headers; POST and PUT echo only the scopes asked for.
#[tokio::test(flavor = "multi_thread")]
async fn sim_413_after_auth_and_answers_echo_requested_scopes() {
    sgkeys::api::install_crypto_provider();
    let env = Env::new().await;
    let http = reqwest::Client::new();
    let url = format!("{}/v3/api_keys", env.sim.base_url());
    let big = vec![b'a'; 10 * 1024 * 1024];
    let send = |key: String, body: Vec<u8>| {
        // (small bodies only: a client still writing a big one sees the connection close)
        http.post(&url)
            .header("accept", "application/json")
            .header("authorization", format!("Bearer {key}"))
            .body(body)
            .send()
    };
    // a bad key with a 10 MB body announced: 401 without the body read
    let head = raw_head(
        &env.sim.base_url(),
        &format!(
            "POST /v3/api_keys HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\
             Authorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
            fake_key(9),
            big.len()
        ),
    )
    .await;
    assert!(
        head.starts_with("HTTP/1.1 401"),
        "authentication comes first: {head}"
    );
    assert!(
        head.to_ascii_lowercase().contains("x-ratelimit-limit"),
        "{head}"
    );
    // the admin key with 10 MB: SendGrid's error body, with the rate-limit headers
    let answer = raw_exchange(
        &env.sim.base_url(),
        &format!(
            "POST /v3/api_keys HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\
             Authorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
            env.sim.admin_key().expose(),
            big.len()
        ),
        &big,
    )
    .await;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 413"), "{head}");
    assert!(head.contains("x-ratelimit-remaining"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["errors"][0]["message"], "request body too large");
    assert!(v["errors"][0]["field"].is_null());

    let admin = env.sim.admin_key().expose().to_owned();
    let r = send(
        admin.clone(),
        br#"{"name":"echo","scopes":["stats.read","2fa_required"]}"#.to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["scopes"], json!(["stats.read"]));
    let id = v["api_key_id"].as_str().unwrap().to_owned();
    let r = http
        .put(format!("{url}/{id}"))
        .header("accept", "application/json")
        .header("authorization", format!("Bearer {admin}"))
        .body(r#"{"name":"echo","scopes":["alerts.read"]}"#)
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["scopes"], json!(["alerts.read"]));
    let r = http
        .get(format!("{url}/{id}"))
        .header("accept", "application/json")
        .header("authorization", format!("Bearer {admin}"))
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(
        v["scopes"],
        json!([
            "alerts.read",
            "2fa_required",
            "sender_verification_eligible"
        ])
    );
    env.sim.shutdown().await;
}

/// Send a raw request head and return the answer's head.
async fn raw_head(base: &str, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Send a request head and as much of `body` as the server reads; return the whole answer
/// (the server closes the connection after a 413).
async fn raw_exchange(base: &str, head: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut r, mut w) = s.into_split();
    w.write_all(head.as_bytes()).await.unwrap();
    let body = body.to_vec();
    let writer = tokio::spawn(async move {
        let _ = w.write_all(&body).await; // the server stops reading at its limit
        w
    });
    let mut got = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), r.read_to_end(&mut got)).await;
    writer.abort();
    String::from_utf8_lossy(&got).into_owned()
}
