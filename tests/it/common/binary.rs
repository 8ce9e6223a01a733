//! The real `sgkeys` binary against an in-process simulator, in a private home: every file it
//! keeps (journal, inventory) lands in a temporary directory.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;
use sgkeys::sim::{self, SimConfig, SimHandle};

pub const BIN: &str = env!("CARGO_BIN_EXE_sgkeys");

pub struct Bin {
    pub sim: SimHandle,
    pub dir: tempfile::TempDir,
}

impl Bin {
    pub async fn start() -> Bin {
        Bin::with(SimConfig::default()).await
    }

    pub async fn with(cfg: SimConfig) -> Bin {
        let sim = sim::start(cfg, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        Bin {
            sim,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// `$XDG_STATE_HOME/sgkeys`.
    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state/sgkeys")
    }

    /// The default inventory file.
    pub fn inventory(&self) -> PathBuf {
        self.state().join("inventory.sqlite")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env("SENDGRID_API_KEY", self.sim.admin_key().expose())
            .env("SGKEYS_BASE_URL", self.sim.base_url())
            .env("SGKEYS_EU_BASE_URL", self.sim.eu_base_url())
            .stdin(Stdio::null());
        c
    }

    /// (exit code, stdout, stderr) of a command run to its end.
    pub fn output(mut c: Command) -> (i32, String, String) {
        let out = c.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        Bin::output(self.cmd(args))
    }

    /// Run, expect exit 0, parse stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {out}"))
    }

    pub fn id_named(&self, name: &str) -> String {
        self.sim
            .keys(None)
            .into_iter()
            .find(|k| k.name == name)
            .map(|k| k.api_key_id.0)
            .unwrap()
    }
}
