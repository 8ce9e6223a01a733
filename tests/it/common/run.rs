//! The real `sgkeys` binary against a server (a simulator or a hostile stand-in), with an
//! environment of its own: a fresh HOME and XDG directories, the server's base URLs, and the
//! calling key in `SENDGRID_API_KEY`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use super::env::BIN;

/// Where and as whom the binary runs.
pub struct Runner {
    pub base_url: String,
    pub eu_base_url: String,
    pub api_key: String,
    pub dir: tempfile::TempDir,
}

/// What a run did.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Runner {
    /// Against a simulator, as its admin.
    pub fn sim(sim: &sgkeys::sim::SimHandle) -> Runner {
        Runner {
            base_url: sim.base_url(),
            eu_base_url: sim.eu_base_url(),
            api_key: sim.admin_key().expose().to_owned(),
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// Against any server at `url` (e.g. a hostile stand-in), with `api_key`.
    pub fn at(url: &str, api_key: &str) -> Runner {
        Runner {
            base_url: url.to_owned(),
            eu_base_url: url.to_owned(),
            api_key: api_key.to_owned(),
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// A path in the run's own directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The environment of every run: nothing of the caller's but PATH.
    fn env(&self) -> Vec<(String, String)> {
        let d: &Path = self.dir.path();
        let p = |p: PathBuf| p.to_string_lossy().into_owned();
        vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".into(), p(d.to_path_buf())),
            ("XDG_CONFIG_HOME".into(), p(d.join("config"))),
            ("XDG_STATE_HOME".into(), p(d.join("state"))),
            ("SENDGRID_API_KEY".into(), self.api_key.clone()),
            ("SGKEYS_BASE_URL".into(), self.base_url.clone()),
            ("SGKEYS_EU_BASE_URL".into(), self.eu_base_url.clone()),
        ]
    }

    /// The command, environment set, stdin closed.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_clear()
            .envs(self.env())
            .stdin(Stdio::null());
        c
    }

    /// Run to the end. The calling key's secret part never appears in what it printed.
    pub fn run(&self, args: &[&str]) -> Ran {
        let out = self.command(args).output().expect("run sgkeys");
        let ran = Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        if let Some(secret) = self.api_key.get(26..).filter(|s| s.len() > 8) {
            assert!(
                !ran.stdout.contains(secret) && !ran.stderr.contains(secret),
                "{args:?} printed the calling key"
            );
        }
        ran
    }

    /// Run a shell command line (e.g. one taken from the README) with `sgkeys` on PATH and the
    /// environment of [`Runner::command`], but no `SENDGRID_API_KEY`: the line itself says
    /// where the key comes from.
    pub fn shell(&self, line: &str) -> Ran {
        let bin_dir = Path::new(BIN).parent().expect("the binary's directory");
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("sh")
            .arg("-c")
            .arg(line)
            .env_clear()
            .envs(
                self.env()
                    .into_iter()
                    .filter(|(k, _)| k != "SENDGRID_API_KEY"),
            )
            .env("PATH", path)
            .stdin(Stdio::null())
            .output()
            .expect("run sh");
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run, expect exit 0, and return stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let ran = self.run(args);
        assert_eq!(ran.code, 0, "{args:?} failed: {}", ran.stderr);
        ran.stdout
    }
}

/// `name` on PATH, if it is there.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A hostile stand-in whose account has three keys: one read in full, one whose answer lists
/// no scopes (its access unknown), and one that always fails with a 500: an audit of it is
/// incomplete.
pub struct PartlyReadable {
    pub server: crate::hostile::Hostile,
    /// The key read in full.
    pub good: String,
    /// The key whose answer has no `scopes`.
    pub vague: String,
    /// The key that cannot be read.
    pub broken: String,
}

impl PartlyReadable {
    /// `good` and `vague` are the keys' names; `scopes` the good key's (as the server says).
    pub async fn start(good: &str, scopes: &[&str], vague: &str) -> PartlyReadable {
        use crate::hostile::{Hostile, Reply, Seen, fake_key, id_of, key_json, list_json};
        let ids = (
            id_of(&fake_key(31)),
            id_of(&fake_key(32)),
            id_of(&fake_key(33)),
        );
        let (g, v, b) = ids.clone();
        let (good_name, vague_name) = (good.to_owned(), vague.to_owned());
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        let server = Hostile::start(move |r: &Seen| {
            let path = r.path.split('?').next().unwrap_or_default();
            match path.strip_prefix("/v3/api_keys") {
                Some("") => Reply::json(
                    200,
                    list_json(&[(&g, &good_name), (&v, &vague_name), (&b, "broken")]),
                ),
                Some(rest) if rest == format!("/{g}") => {
                    let s: Vec<&str> = scopes.iter().map(String::as_str).collect();
                    Reply::json(200, key_json(&g, &good_name, &s))
                }
                Some(rest) if rest == format!("/{v}") => Reply::json(
                    200,
                    serde_json::json!({"api_key_id": v, "name": vague_name}),
                ),
                _ => Reply::json(
                    500,
                    serde_json::json!({"errors": [{"message": "internal error"}]}),
                ),
            }
        })
        .await;
        PartlyReadable {
            server,
            good: ids.0,
            vague: ids.1,
            broken: ids.2,
        }
    }

    /// A runner against it, with a well-formed key.
    pub fn runner(&self) -> Runner {
        Runner::at(&self.server.url(), &crate::hostile::fake_key(1))
    }
}
