//! The real `sgkeys` binary against an in-process simulator: a private home, config, state
//! and journal per test, and helpers to run it and read what it left.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use sgkeys::sim::{SimConfig, SimHandle};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_sgkeys");

pub struct Env {
    pub sim: SimHandle,
    pub dir: tempfile::TempDir,
}

impl Env {
    /// On the demo seed without SendGrid's waits.
    pub async fn new() -> Env {
        Env::with(SimConfig::fast()).await
    }

    pub async fn with(cfg: SimConfig) -> Env {
        let sim = super::simulator::start(cfg).await;
        Env {
            sim,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn journal(&self) -> PathBuf {
        self.dir.path().join("journal.jsonl")
    }

    /// The environment of every run: nothing of the caller's but PATH.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let d = self.dir.path();
        let p = |p: PathBuf| p.display().to_string();
        vec![
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("HOME", p(d.to_path_buf())),
            ("XDG_CONFIG_HOME", p(d.join("config"))),
            ("XDG_STATE_HOME", p(d.join("state"))),
            ("SENDGRID_API_KEY", self.sim.admin_key().expose().to_owned()),
            ("SGKEYS_BASE_URL", self.sim.base_url()),
            ("SGKEYS_EU_BASE_URL", self.sim.eu_base_url()),
            ("SGKEYS_JOURNAL", p(self.journal())),
        ]
    }

    /// [`Env::vars`] for a terminal (`common::tmux::Tmux::start`): with `TERM`.
    pub fn terminal_vars(&self) -> Vec<(&'static str, String)> {
        let mut v = self.vars();
        v.push(("TERM", "xterm-256color".into()));
        v
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args).env_clear().envs(self.vars());
        c
    }

    /// Run with stdin from `input` (not a terminal). Returns (exit code, stdout, stderr).
    pub fn run_in(&self, args: &[&str], input: &str) -> (i32, String, String) {
        let (code, o, e) = feed(self.cmd(args), input);
        // no command ever prints the caller's key
        let secret = &self.sim.admin_key().expose()[26..];
        assert!(
            !o.contains(secret) && !e.contains(secret),
            "caller key printed by {args:?}"
        );
        (code, o, e)
    }

    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_in(args, "")
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {out}"))
    }

    /// Run a command whose `--json` output is JSON lines; returns its objects.
    pub fn json_lines(&self, args: &[&str]) -> Vec<Value> {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        json_lines(&out)
    }

    /// The ids of every key in the simulator's own account.
    pub fn ids(&self) -> Vec<String> {
        self.sim
            .keys(None)
            .into_iter()
            .map(|k| k.api_key_id.0)
            .collect()
    }

    /// The ids of the replacements rotations made (named `… (rotated …)`).
    pub fn replacements(&self) -> Vec<String> {
        self.sim
            .keys(None)
            .into_iter()
            .filter(|k| k.name.contains("(rotated "))
            .map(|k| k.api_key_id.0)
            .collect()
    }

    /// How many requests with this method the simulator answered whose path contains `part`.
    pub fn sent(&self, method: &str, part: &str) -> usize {
        self.sim
            .requests()
            .iter()
            .filter(|r| r.method == method && r.path.contains(part))
            .count()
    }

    pub fn id_named(&self, name: &str) -> String {
        crate::common::simulator::id_named(&self.sim, name)
    }

    /// The journal as read back (each intent merged with its outcome).
    pub fn journal_entries(&self) -> Vec<Value> {
        sgkeys::journal::Journal::new(self.journal())
            .read_all()
            .unwrap()
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect()
    }

    /// The journal's raw lines.
    pub fn journal_lines(&self) -> Vec<Value> {
        std::fs::read_to_string(self.journal())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// Run `cmd` with stdin from `input` (not a terminal). Returns (exit code, stdout, stderr).
/// Blocking: from an async test, on `spawn_blocking`.
pub fn feed(mut cmd: Command, input: &str) -> (i32, String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Send `signal` to `child` once `ready()` (asked every 10 ms) says so, and wait for it to end.
/// Fails with `what` when `ready` has not said so within `within`. Returns the exit code (None:
/// killed by the signal) and stderr (piped by the caller, or empty).
pub async fn signal_when(
    child: std::process::Child,
    signal: i32,
    within: std::time::Duration,
    what: &str,
    mut ready: impl FnMut() -> bool,
) -> (Option<i32>, String) {
    let start = std::time::Instant::now();
    while !ready() {
        assert!(start.elapsed() < within, "{what}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // SAFETY: signalling our own child by its pid.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The binary against a stand-in at `url`, the caller `fake_key(1)`, journaling into `dir`:
/// (exit code, stderr).
pub async fn stand_in_run(dir: &Path, url: &str, args: &[&str]) -> (i32, String) {
    let mut c = bin_at(dir, url, &crate::hostile::fake_key(1), args);
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The binary, pointed at `url` with `key`, journaling into `dir` (for a stand-in server).
pub fn bin_at(dir: &Path, url: &str, key: &str, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("SENDGRID_API_KEY", key)
        .env("SGKEYS_BASE_URL", url)
        .env("SGKEYS_JOURNAL", dir.join("journal.jsonl"))
        .stdin(Stdio::null());
    c
}

/// How many elements the JSON array `text` holds (a command's `--json` list).
pub fn array_len(text: &str) -> usize {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {text}"))
        .len()
}

/// The objects of JSON-lines text (`rotate --json`).
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

/// `rotate --json`: the `created` object (with its secret) and the `result` object of each key.
pub fn rotation_events(lines: &[Value], event: &str) -> Vec<Value> {
    lines
        .iter()
        .filter(|v| v["event"] == event)
        .cloned()
        .collect()
}
