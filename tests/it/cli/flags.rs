//! The binary's flags outside any simulator: `sim --json`'s banner, nonsense flags refused as
//! usage errors (never a panic or a hang), a hanging server timed out.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::process::{Command, Stdio};

use super::write;
use crate::common::env::BIN;

#[test]
fn sim_json_banner_for_scripts() {
    let v = crate::common::simulator::json_banner(&["--seed", "empty"], &[]);
    assert!(
        v["base_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert_eq!(v["admin_key"].as_str().unwrap().len(), 69);
    assert_eq!(v["accounts"][0]["keys"], 1);
}

/// Run the binary outside any simulator, killed after 20 s so that a flag wrongly accepted by
/// `sim` or `demo` fails the test instead of hanging it. Returns (exit code, stderr).
fn run_bounded(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env(
            "SENDGRID_API_KEY",
            "SG.qfTQ6KG0QBiwWdJ0-pCLCA.abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE",
        )
        .env("SGKEYS_BASE_URL", "http://127.0.0.1:9")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("sgkeys {args:?} did not finish within 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `--rate-limit` / `--create-rate` take N/PERIOD; nonsense is a usage error saying why.
#[test]
fn sim_rate_flags_refuse_nonsense_with_the_reason() {
    for (cmd, flag, value, why) in [
        ("sim", "--rate-limit", "600", "no period"),
        ("sim", "--rate-limit", "600/60", "needs a unit"),
        ("sim", "--create-rate", "0/2s", "at least 1 request"),
        (
            "sim",
            "--rate-limit",
            "600/500ms",
            "whole number of seconds",
        ),
        ("demo", "--rate-limit", "lots/1s", "not a whole number"),
    ] {
        let mut args = vec![cmd, flag, value];
        if cmd == "sim" {
            args.extend(["--port", "0"]);
        }
        let (code, err) = run_bounded(&args, &[]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(why) && err.contains("N/PERIOD"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn bad_float_flags_are_usage_errors_never_panics() {
    let bad = [
        "1e300", "-1", "NaN", "nan", "inf", "-inf", "0", "3601", "x", "",
    ];
    for v in bad {
        for cmd in [&["list"][..], &["demo"][..]] {
            let mut args = vec!["--timeout", v];
            args.extend_from_slice(cmd);
            let (code, err) = run_bounded(&args, &[]);
            assert_eq!(code, 2, "{args:?}: {err}");
            assert!(!err.contains("panicked"), "{args:?}: {err}");
        }
    }
    // the --timeout=VALUE spelling, where clap cannot mistake "-1" for a flag
    for v in ["-1", "-inf", "1e300"] {
        let arg = format!("--timeout={v}");
        let (code, err) = run_bounded(&[&arg, "list"], &[]);
        assert_eq!(code, 2, "{arg}: {err}");
        assert!(err.contains("3600"), "{arg}: {err}");
    }
    for v in ["NaN", "inf", "-0.5", "1.5", "1e300", "-inf"] {
        let arg = format!("--fail-rate={v}");
        for cmd in ["sim", "demo"] {
            let args = if cmd == "sim" {
                vec![cmd, &arg, "--port", "0"]
            } else {
                vec![cmd, &arg]
            };
            let (code, err) = run_bounded(&args, &[]);
            assert_eq!(code, 2, "{cmd} {arg}: {err}");
            assert!(!err.contains("panicked"), "{cmd} {arg}: {err}");
        }
    }
    // a profile's timeout goes through the same check
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "config.toml",
        "[profiles.p]\ntimeout_secs = nan\n",
    );
    let (code, err) = run_bounded(
        &["--config", cfg.to_str().unwrap(), "--profile", "p", "list"],
        &[],
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_hanging_key_command_times_out() {
    let t = std::time::Instant::now();
    let (code, err) = run_bounded(
        &["--api-key-cmd", "sleep 100", "list"],
        &[("SGKEYS_KEY_CMD_TIMEOUT", "1")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("did not finish within 1 s"), "{err}");
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
}
