//! The local journal: one JSON line per mutation (create, rename, set scopes, revoke,
//! recreate), from the TUI or the CLI. Appends are flushed and fsynced before success is
//! reported. Never holds a secret: [`Entry`] has no field that could carry one.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Rename,
    SetScopes,
    Revoke,
    Recreate,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Rename => "rename",
            Action::SetScopes => "set-scopes",
            Action::Revoke => "revoke",
            Action::Recreate => "recreate",
        }
    }
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339, UTC.
    pub time: String,
    pub base_url: String,
    /// The `on-behalf-of` value, or None for the key's own account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    pub action: Action,
    pub api_key_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_before: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_after: Option<Vec<String>>,
    /// HTTP status of the mutating request (None when no answer came).
    #[serde(default)]
    pub status: Option<u16>,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `cli` or `tui`.
    pub source: String,
    /// For `recreate`: the id of the revoked key it replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

impl Entry {
    pub fn new(
        action: Action,
        base_url: &str,
        on_behalf_of: Option<String>,
        id: &str,
        source: &str,
    ) -> Self {
        Entry {
            time: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            base_url: base_url.to_owned(),
            on_behalf_of,
            action,
            api_key_id: id.to_owned(),
            name: None,
            name_before: None,
            scopes_before: None,
            scopes_after: None,
            status: None,
            ok: false,
            error: None,
            source: source.to_owned(),
            replaces: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot write the journal {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the journal {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("journal {path} line {line} is not a journal entry: {message}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// The journal file.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Journal { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one entry; returns once it is on disk (flushed and fsynced).
    pub fn append(&self, entry: &Entry) -> Result<(), JournalError> {
        let err = |source| JournalError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut line = serde_json::to_string(entry).map_err(|e| err(std::io::Error::other(e)))?;
        line.push('\n');
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&self.path).map_err(err)?;
        f.write_all(line.as_bytes()).map_err(err)?;
        f.flush().map_err(err)?;
        f.sync_all().map_err(err)?;
        Ok(())
    }

    /// Every entry, oldest first. A missing journal is empty.
    pub fn read_all(&self) -> Result<Vec<Entry>, JournalError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(JournalError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let mut out = Vec::new();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str(line) {
                Ok(e) => out.push(e),
                // A torn last line (crash mid-write) is skipped; anything else is reported.
                Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => {}
                Err(e) => {
                    return Err(JournalError::Corrupt {
                        path: self.path.clone(),
                        line: i + 1,
                        message: e.to_string(),
                    });
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::new(dir.path().join("sub/journal.jsonl"));
        assert!(j.read_all().unwrap().is_empty());
        let mut e = Entry::new(
            Action::Revoke,
            "http://x",
            Some("acme".into()),
            "abc",
            "cli",
        );
        e.name = Some("ci".into());
        e.scopes_before = Some(vec!["mail.send".into()]);
        e.status = Some(204);
        e.ok = true;
        j.append(&e).unwrap();
        j.append(&Entry::new(Action::Create, "http://x", None, "def", "tui"))
            .unwrap();
        let all = j.read_all().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0], e);
        assert_eq!(all[1].action, Action::Create);
    }

    #[test]
    fn torn_last_line_is_skipped_but_corruption_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let good =
            serde_json::to_string(&Entry::new(Action::Rename, "u", None, "a", "cli")).unwrap();
        std::fs::write(&p, format!("{good}\n{{\"time\":\"20")).unwrap();
        assert_eq!(Journal::new(&p).read_all().unwrap().len(), 1);
        std::fs::write(&p, format!("garbage\n{good}\n")).unwrap();
        let e = Journal::new(&p).read_all().unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
    }
}
