//! The real binary in a real terminal: a standalone `sgkeys sim` process, a detached tmux
//! session on its own server, and what the tmux tests ask the simulator. Shared by the tmux
//! test files (`e2e_tmux`, `e2e_dashboard`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::simulator::FAST_ARGS;

pub use super::env::BIN;

pub fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether tmux is missing: then the test says it is skipped (`.ci/run` installs tmux).
pub fn no_tmux() -> bool {
    if have_tmux() {
        return false;
    }
    eprintln!("SKIPPED: tmux is not installed (.ci/run installs it)");
    true
}

/// A test directory and a standalone simulator ([`Sim::start`] with `sim_args`) in it; `None`
/// (the test skipped) without tmux.
pub fn start(sim_args: &[&str]) -> Option<(PathBuf, Sim)> {
    if no_tmux() {
        return None;
    }
    let dir = tempdir();
    let sim = Sim::start(&dir, sim_args);
    Some((dir, sim))
}

/// [`start`], then tmux session `name` with the environment of `sgkeys` against it
/// ([`env_for`]), its shell waiting.
pub fn session(name: &str, sim_args: &[&str]) -> Option<(PathBuf, Sim, Tmux)> {
    let (dir, sim) = start(sim_args)?;
    let t = Tmux::start(name, &env_for(&sim, &dir));
    Some((dir, sim, t))
}

/// [`session`], then the dashboard (`sgkeys ARGS`) in it, idle: every key's scopes read.
pub fn open(name: &str, args: &str, sim_args: &[&str]) -> Option<(PathBuf, Sim, Tmux)> {
    let (dir, sim, t) = session(name, sim_args)?;
    t.send_line(&format!("{BIN} {args}"));
    t.wait_for("updated");
    Some((dir, sim, t))
}

/// [`Tmux::quit`], then the test's directory removed.
pub fn quit(t: &Tmux, dir: &Path) {
    t.quit();
    let _ = std::fs::remove_dir_all(dir);
}

/// `sgkeys ARGS` against `sim` as its admin, beside the dashboard: its environment
/// ([`env_for`]) but the journal `journal` in `dir`. Fails the test unless it succeeds.
pub fn cli(sim: &Sim, dir: &Path, journal: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(env_for(sim, dir))
        .env("SGKEYS_JOURNAL", dir.join(journal))
        .output()
        .expect("run sgkeys");
    assert!(
        out.status.success(),
        "sgkeys {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A standalone simulator process.
pub struct Sim {
    pub child: Child,
    pub url: String,
    pub eu_url: String,
    pub key: String,
    /// The customer accounts' ids (`--on-behalf-of 'account-id ID'`), from its banner.
    pub customers: Vec<String>,
}

impl Sim {
    /// The demo seed without SendGrid's waits ([`FAST_ARGS`]; `extra` may set any of them
    /// again).
    pub fn start(dir: &Path, extra: &[&str]) -> Sim {
        let fast = FAST_ARGS
            .chunks(2)
            .filter(|flag_value| !extra.contains(&flag_value[0]))
            .flatten()
            .copied();
        let args: Vec<&str> = fast.chain(extra.iter().copied()).collect();
        Sim::realistic(dir, &args)
    }

    /// The demo seed at the simulator's defaults: as slow and strict as SendGrid.
    pub fn realistic(dir: &Path, extra: &[&str]) -> Sim {
        let mut child = Command::new(BIN)
            .args(["sim", "--port", "0", "--seed", "demo"])
            .arg("--state")
            .arg(dir.join("state.json"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sgkeys sim");
        let out = child.stdout.take().expect("sim stdout");
        let mut url = String::new();
        let mut eu_url = String::new();
        let mut key = String::new();
        let mut customers = Vec::new();
        for line in BufReader::new(out).lines() {
            let line = line.expect("sim banner");
            if let Some(u) = line.strip_prefix("sgkeys SendGrid simulator listening on ") {
                url = u.trim().to_owned();
            }
            if let Some(u) = line.trim().strip_prefix("EU host") {
                eu_url = u.split_whitespace().next().unwrap_or_default().to_owned();
            }
            if let Some(k) = line.trim().strip_prefix("admin key ") {
                key = k.trim().to_owned();
            }
            if let Some(rest) = line.trim().strip_prefix("customer ")
                && let Some((_, id)) = rest.split_once("'account-id ")
            {
                customers.push(id.split('\'').next().unwrap_or_default().to_owned());
            }
            if line.contains("Press Ctrl-C") {
                break;
            }
        }
        assert!(
            url.starts_with("http://") && key.starts_with("SG."),
            "sim banner not understood"
        );
        Sim {
            child,
            url,
            eu_url,
            key,
            customers,
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A detached tmux session running a clean shell, on its own tmux server (socket), so tests can
/// run in parallel and never touch the user's tmux.
pub struct Tmux {
    pub name: String,
    /// The tmux server's socket: the session name and this process's id, so two test runs on
    /// one machine (two checkouts, or CI beside a developer) never share or kill a server.
    pub socket: String,
}

/// The socket of the test's own tmux server for session `name`.
pub fn socket_for(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

pub fn tmux(socket: &str) -> Command {
    let mut c = Command::new("tmux");
    c.args(["-L", socket]);
    c
}

impl Tmux {
    pub fn start(name: &str, env: &[(&str, String)]) -> Tmux {
        let socket = socket_for(name);
        let _ = tmux(&socket).args(["kill-server"]).output();
        let mut cmd = tmux(&socket);
        cmd.args([
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "120",
            "-y",
            "40",
        ]);
        for (k, v) in env {
            cmd.arg("-e").arg(format!("{k}={v}"));
        }
        cmd.args(["bash", "--norc", "--noprofile"]);
        assert!(cmd.status().expect("tmux").success());
        let t = Tmux {
            name: name.to_owned(),
            socket,
        };
        t.send_line("PS1='$ '; clear");
        t
    }

    pub fn send_keys(&self, keys: &[&str]) {
        let mut cmd = tmux(&self.socket);
        cmd.args(["send-keys", "-t", &self.name]);
        cmd.args(keys);
        assert!(cmd.status().expect("tmux send-keys").success());
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Type literal text (no key-name interpretation).
    pub fn type_text(&self, text: &str) {
        let status = tmux(&self.socket)
            .args(["send-keys", "-t", &self.name, "-l", text])
            .status();
        assert!(status.expect("tmux send-keys -l").success());
        std::thread::sleep(Duration::from_millis(60));
    }

    pub fn send_line(&self, text: &str) {
        self.type_text(text);
        self.send_keys(&["Enter"]);
    }

    pub fn screen(&self) -> String {
        let out = tmux(&self.socket)
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn alternate_screen_on(&self) -> bool {
        self.format("#{alternate_on}") == "1"
    }

    /// Wait until the screen contains `needle`.
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_for_within(needle, Duration::from_secs(15))
    }

    /// Wait until the screen contains `needle`, at most `within`.
    pub fn wait_for_within(&self, needle: &str, within: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            assert!(
                start.elapsed() < within,
                "timed out waiting for {needle:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `q`, and the shell says the dashboard exited 0: the screen then.
    pub fn quit(&self) -> String {
        self.send_keys(&["q"]);
        self.send_line("echo rc=$?");
        self.wait_for("rc=0")
    }

    /// `@`, then `/` with `text`: the message log's lines that contain it, on screen.
    pub fn log_lines(&self, text: &str) -> String {
        self.send_keys(&["@"]);
        self.wait_for("Message log");
        self.send_keys(&["/"]);
        self.type_text(text);
        self.send_keys(&["Enter"]);
        self.wait_for(" matching")
    }

    /// A tmux format (`#{pane_pid}`, `#{alternate_on}`) of the session's pane.
    pub fn format(&self, f: &str) -> String {
        let out = tmux(&self.socket)
            .args(["display-message", "-p", "-t", &self.name, f])
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// The process the pane's shell is running (a command started with [`Tmux::send_line`]).
    pub fn foreground_pid(&self) -> String {
        only_child(&self.format("#{pane_pid}"))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux(&self.socket).args(["kill-server"]).output();
    }
}

/// Every key of the simulator's own account: id → (name, scopes), as `sgkeys list --scopes`
/// reads them (nothing recorded: the dashboard's inventory stays as it was).
pub fn list_with_scopes(sim: &Sim, dir: &Path) -> BTreeMap<String, (String, Vec<String>)> {
    let args = ["--no-inventory", "list", "--scopes", "--json"];
    let out = cli(sim, dir, "cli-journal.jsonl", &args).stdout;
    let v: serde_json::Value = serde_json::from_slice(&out).expect("list --json");
    v.as_array()
        .expect("array")
        .iter()
        .map(|k| {
            let scopes = k["scopes"]
                .as_array()
                .expect("scopes")
                .iter()
                .map(|s| s.as_str().unwrap_or("").to_owned())
                .collect();
            (
                k["api_key_id"].as_str().unwrap_or("").to_owned(),
                (k["name"].as_str().unwrap_or("").to_owned(), scopes),
            )
        })
        .collect()
}

/// `GET /_sim/<what>` from the simulator's control API (no latency applies), as JSON.
pub fn sim_control(sim: &Sim, what: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let host = sim.url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).expect("connect to sim");
    let req = format!(
        "GET /_sim/{what} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        sim.key
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    serde_json::from_str(body).expect("json body")
}

/// Mutating requests the simulator has seen (its `/_sim/requests` control endpoint).
pub fn mutating_requests(sim: &Sim) -> usize {
    let v = sim_control(sim, "requests");
    v["mutating"].as_u64().expect("mutating count") as usize
}

/// The environment of `sgkeys` against `sim` in a terminal: [`demo_env`], the simulator's
/// hosts and admin key, the journal `dir/journal.jsonl`.
pub fn env_for(sim: &Sim, dir: &Path) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("SENDGRID_API_KEY", sim.key.clone()),
        ("SGKEYS_BASE_URL", sim.url.clone()),
        ("SGKEYS_EU_BASE_URL", sim.eu_url.clone()),
        (
            "SGKEYS_JOURNAL",
            dir.join("journal.jsonl").display().to_string(),
        ),
    ];
    env.extend(demo_env(dir));
    env
}

/// The environment of `sgkeys demo` in a terminal: home, config and state in `dir`, PATH, TERM.
pub fn demo_env(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("XDG_STATE_HOME", dir.join("state").display().to_string()),
        ("XDG_CONFIG_HOME", dir.join("config").display().to_string()),
        ("TERM", "xterm-256color".into()),
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", dir.display().to_string()),
    ]
}

pub fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "sgkeys-e2e-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

pub fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The simulator's keys as `(id, name)` pairs, from its control API (no latency applies).
pub fn sim_keys(sim: &Sim) -> Vec<(String, String)> {
    let v = sim_control(sim, "state");
    v["accounts"][0]["keys"]
        .as_array()
        .expect("parent keys")
        .iter()
        .map(|k| {
            (
                k["api_key_id"].as_str().unwrap_or("").to_owned(),
                k["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The id of the simulator's own key named `name`.
pub fn sim_id_named(sim: &Sim, name: &str) -> String {
    sim_keys(sim)
        .into_iter()
        .find(|(_, n)| n == name)
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("no key named {name} in the simulator"))
}

/// The one child process of `parent` (from `/proc`), once it has started.
pub fn only_child(parent: &str) -> String {
    let path = format!("/proc/{parent}/task/{parent}/children");
    let start = Instant::now();
    loop {
        let children = std::fs::read_to_string(&path).unwrap_or_default();
        let pids: Vec<&str> = children.split_whitespace().collect();
        if let [pid] = pids[..] {
            return pid.to_owned();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "children of {parent}: {pids:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `sgkeys create NAME` in `account` (None: the key's own) against the simulator: the secret.
pub fn mint(sim: &Sim, dir: &Path, name: &str, account: Option<&str>) -> String {
    let mut args = vec![];
    if let Some(a) = account {
        args.extend(["--on-behalf-of", a]);
    }
    args.extend(["create", name, "--scope", "mail.send"]);
    args.extend(["--scope", "stats.read", "--json"]);
    let out = cli(sim, dir, "mint-journal.jsonl", &args).stdout;
    let v: serde_json::Value = serde_json::from_slice(&out).expect("create --json");
    v["api_key"].as_str().expect("a secret").to_owned()
}

/// The `N/M` position in the key list's bottom border.
pub fn list_position(screen: &str) -> Option<(usize, usize)> {
    screen.lines().find_map(|l| {
        let l = l.trim_start();
        if !l.starts_with('└') {
            return None;
        }
        let pos = l.split_whitespace().find(|w| w.contains('/'))?;
        let (a, b) = pos.split_once('/')?;
        Some((a.parse().ok()?, b.trim_end_matches('┘').parse().ok()?))
    })
}
