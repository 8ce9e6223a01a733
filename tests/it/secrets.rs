//! A full session with logging at trace level, then every produced file and stream is searched
//! for the secrets: the caller's key and every created key's secret. They may appear only where
//! they are meant to: `create`/`recreate` output and the dashboard's shown-once modal (the screen).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::env::BIN;
use crate::common::simulator::start;
use crate::common::tmux::have_tmux;
use sgkeys::sim::SimConfig;

/// The part of a key that authenticates (never printed anywhere but on purpose).
fn secret_part(key: &str) -> &str {
    &key[26..]
}

struct Run {
    label: String,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, url: &str, key: &str, args: &[&str], stdin: &str) -> Run {
    let mut cmd = crate::common::env::bin_at(dir, url, key, args);
    cmd.env("SGKEYS_LOG", "trace");
    let (_, stdout, stderr) = crate::common::env::feed(cmd, stdin);
    Run {
        label: args.join(" "),
        stdout,
        stderr,
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                files_under(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_leaks_from_a_full_session_at_trace_level() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = SimConfig {
        state_file: Some(d.join("sim-state.json")),
        ..SimConfig::fast()
    };
    let sim = start(cfg).await;
    let url = sim.base_url();
    let caller = sim.admin_key().expose().to_owned();
    let mut secrets = vec![caller.clone()];
    let mut runs: Vec<Run> = Vec::new();
    let mut allowed_stdout: Vec<String> = Vec::new(); // labels whose stdout may carry a new secret

    let r = |args: &[&str], stdin: &str| run(d, &url, &caller, args, stdin);
    // create: JSON and human forms print the new secret, on purpose
    let c1 = r(
        &["create", "json key", "--scope", "mail.send", "--json"],
        "",
    );
    let v: serde_json::Value = serde_json::from_str(&c1.stdout).unwrap();
    let s1 = v["api_key"].as_str().unwrap().to_owned();
    let id1 = v["api_key_id"].as_str().unwrap().to_owned();
    allowed_stdout.push(c1.label.clone());
    runs.push(c1);
    let c2 = r(&["create", "human key", "--scope", "stats=read"], "");
    let s2 = c2.stdout.trim().to_owned();
    assert_eq!(s2.len(), 69);
    allowed_stdout.push(c2.label.clone());
    runs.push(c2);
    secrets.extend([s1.clone(), s2.clone()]);

    for args in [
        vec!["list"],
        vec!["list", "--scopes", "--json"],
        vec!["show", &id1],
        vec!["whoami", "--json"],
        vec!["subusers"],
        vec!["rename", &id1, "json key renamed"],
        vec!["set-scopes", &id1, "mail.send", "alerts.read"],
        vec!["audit", "--format", "markdown"],
        vec!["audit", "--format", "csv", "--all-subusers"],
        vec!["audit", "--format", "json"],
        vec!["audit", "--format", "html", "--all-subusers"],
        vec!["diff", &id1, "--preset", "Mail Send only"],
        vec!["revoke", &id1, "--dry-run"],
        vec!["revoke", &id1, "--yes"],
        vec!["journal", "--json"],
    ] {
        runs.push(r(&args, ""));
    }
    // the leaked-key path reads a secret from stdin: it must not echo it
    let leak = r(&["revoke", "--leaked", "--yes"], &format!("{s2}\n"));
    assert!(leak.stdout.contains("revoked"), "{}", leak.stderr);
    runs.push(leak);
    // recreate prints the new secret on purpose
    let rc = r(&["recreate", &id1, "--yes"], "");
    let s3 = rc.stdout.trim().to_owned();
    assert_eq!(s3.len(), 69, "{}", rc.stderr);
    secrets.push(s3.clone());
    allowed_stdout.push(rc.label.clone());
    runs.push(rc);
    // errors: a malformed key, a revoked key, a bad base URL
    runs.push(run(d, &url, &format!("{}X", &caller[..68]), &["list"], ""));
    runs.push(run(d, &url, &s1, &["list"], ""));
    runs.push(run(
        d,
        "http://127.0.0.1:9",
        &caller,
        &["list", "--timeout", "1"],
        "",
    ));

    // the dashboard, in a real terminal, creating a key (secret shown once on screen)
    let tui_log = d.join("tui.log");
    if have_tmux() {
        let sock = format!("sgkeys-secrets-{}", std::process::id());
        let tmux = |args: &[&str]| {
            Command::new("tmux")
                .args(["-L", &sock])
                .args(args)
                .output()
                .unwrap()
        };
        let env = [
            format!("SENDGRID_API_KEY={caller}"),
            format!("SGKEYS_BASE_URL={url}"),
            "SGKEYS_LOG=trace".to_owned(),
            format!("XDG_STATE_HOME={}", d.join("state").display()),
            format!("HOME={}", d.display()),
            format!("PATH={}", std::env::var("PATH").unwrap_or_default()),
        ];
        let mut new = vec![
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "s",
            "-x",
            "120",
            "-y",
            "40",
        ];
        for e in &env {
            new.extend(["-e", e.as_str()]);
        }
        new.extend(["bash", "--norc", "--noprofile"]);
        assert!(tmux(&new).status.success());
        // tmux takes a program's OSC 52 copy only with set-clipboard on
        assert!(tmux(&["set", "-s", "set-clipboard", "on"]).status.success());
        let screen = || {
            String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "s"]).stdout).into_owned()
        };
        let wait = |needle: &str| {
            let t = Instant::now();
            loop {
                let s = screen();
                if s.contains(needle) {
                    return s;
                }
                assert!(
                    t.elapsed() < Duration::from_secs(15),
                    "waiting for {needle}: {s}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        };
        let keys = |k: &[&str]| {
            let mut a = vec!["send-keys", "-t", "s"];
            a.extend(k);
            tmux(&a);
            std::thread::sleep(Duration::from_millis(80));
        };
        keys(&["-l", &format!("{BIN} --log-file {}", tui_log.display())]);
        keys(&["Enter"]);
        wait("updated");
        keys(&["n"]);
        keys(&["-l", "tui key"]);
        keys(&["Tab", "Tab", "l", "Enter"]);
        wait("Create 'tui key'");
        keys(&["y"]);
        let shown = wait("shown once");
        let s4 = shown
            .split_whitespace()
            .find(|w| w.starts_with("SG.") && w.len() == 69)
            .expect("the secret is on screen, once")
            .to_owned();
        secrets.push(s4);
        // one key per send: ESC followed at once by q reads as Alt-q
        keys(&["c"]);
        keys(&["Escape"]);
        std::thread::sleep(Duration::from_millis(100));
        keys(&["q"]);
        keys(&["-l", "echo done"]);
        keys(&["Enter"]);
        wait("done");
        tmux(&["kill-server"]);
    } else {
        eprintln!("tmux missing: the dashboard part of this test was skipped");
    }
    sim.shutdown().await;

    // search every stream and file
    let mut checked = 0;
    for run in &runs {
        for s in &secrets {
            let p = secret_part(s);
            let stdout_ok = allowed_stdout.contains(&run.label);
            if !stdout_ok {
                assert!(
                    !run.stdout.contains(p),
                    "a secret in the stdout of `{}`",
                    run.label
                );
            }
            assert!(
                !run.stderr.contains(p),
                "a secret in the stderr of `{}`",
                run.label
            );
        }
        checked += 2;
    }
    let mut files = Vec::new();
    files_under(d, &mut files);
    files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots"),
        &mut files,
    );
    assert!(
        files.iter().any(|f| f.ends_with("journal.jsonl")),
        "no journal written: {files:?}"
    );
    if have_tmux() {
        assert!(files.contains(&tui_log), "no dashboard log written");
        let log = std::fs::read_to_string(&tui_log).unwrap();
        assert!(
            log.contains("api call") || log.contains("first frame"),
            "trace log is empty: {log}"
        );
    }
    for f in &files {
        let Ok(bytes) = std::fs::read(f) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for s in &secrets {
            // the simulator's state file holds its own admin key on purpose (docs/simulator.md)
            if f.ends_with("sim-state.json") && *s == caller {
                continue;
            }
            assert!(
                !text.contains(secret_part(s)),
                "a secret in {}",
                f.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 40, "searched only {checked} streams and files");
}
