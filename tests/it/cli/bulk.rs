//! Bulk changes show how far they are: `revoke` with several ids and `rotate` of several keys
//! draw a progress bar with an ETA on a terminal (stderr), and nothing of it when stderr is not
//! one.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::process::{Command, Stdio};

use sgkeys::sim::{Rate, Seed, SimConfig};

use crate::common::env::{BIN, Env};

/// Run the binary on a terminal (`script(1)` gives it one, stdout and stderr both): its exit
/// code and what the terminal showed.
fn on_a_terminal(env: &Env, args: &[&str]) -> (i32, String) {
    let quote = |a: &str| format!("'{}'", a.replace('\'', r"'\''"));
    let line = std::iter::once(quote(BIN))
        .chain(args.iter().map(|a| quote(a)))
        .collect::<Vec<_>>()
        .join(" ");
    let cmd = env.cmd(args);
    let mut script = Command::new("script");
    script.args(["-qec", &line, "/dev/null"]).env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            script.env(k, v);
        }
    }
    let out = script
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("script(1)");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Every key but the one sgkeys calls with.
fn others(env: &Env) -> Vec<String> {
    let own = env.sim.admin_key().key_id().unwrap().to_owned();
    env.ids().into_iter().filter(|id| *id != own).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_revoke_shows_progress_with_an_eta_on_a_terminal_only() {
    // twelve keys at 4 requests a second: the revoke takes a few windows
    let env = Env::with(SimConfig {
        seed: Seed::Bulk(12),
        rate_limit: Rate::per_second(4),
        ..SimConfig::fast()
    })
    .await;
    let ids = others(&env);
    assert_eq!(ids.len(), 12);
    let mut args = vec!["revoke"];
    args.extend(ids[..6].iter().map(String::as_str));
    args.push("--yes");
    let (code, shown) = on_a_terminal(&env, &args);
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("revoking [") && shown.contains("ETA"),
        "{shown}"
    );
    assert!(shown.contains("/6"), "{shown}");
    // not a terminal: no bar
    let mut args = vec!["revoke"];
    args.extend(ids[6..].iter().map(String::as_str));
    args.push("--yes");
    let (code, _, err) = env.run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("ETA"), "{err}");
    assert_eq!(others(&env), Vec::<String>::new(), "every key revoked");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_rotation_shows_progress_while_creates_are_paced() {
    // one creation a second: three replacements take a few seconds
    let env = Env::with(SimConfig {
        seed: Seed::Bulk(3),
        create_rate: Rate::per_second(1),
        ..SimConfig::fast()
    })
    .await;
    let ids = others(&env);
    let secrets = env.dir.path().join("new.env");
    let secrets = secrets.to_str().unwrap();
    let mut args = vec!["rotate"];
    args.extend(ids.iter().map(String::as_str));
    args.extend(["--yes", "--secrets-out", secrets]);
    let (code, shown) = on_a_terminal(&env, &args);
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("creating replacements [") && shown.contains("ETA"),
        "{shown}"
    );
    assert!(shown.contains("/3"), "{shown}");
    // the secrets went to the file, never to the terminal
    let file = std::fs::read_to_string(secrets).unwrap();
    assert_eq!(
        file.lines().filter(|l| l.contains("=SG.")).count(),
        3,
        "{file}"
    );
    for line in file.lines().filter(|l| l.contains("=SG.")) {
        let secret = line.split_once('=').unwrap().1;
        assert!(!shown.contains(&secret[26..]), "a secret was shown");
    }
    assert_eq!(env.replacements().len(), 3);
    assert_eq!(others(&env).len(), 3, "the old keys revoked");
}
