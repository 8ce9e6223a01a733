//! Where new keys' secrets go, each the moment it exists, before anything else is sent: a
//! `--secrets-out` file (a new file created 0600, or a pipe or device), one complete entry
//! appended and fsynced per key (JSON lines, or `NAME=SG.…` lines for a `.env` file, each name
//! once); else stdout (one JSON object per key with `--json`, else the bare secret). When that
//! write fails, the secret goes to the terminal when there is one; what could not be delivered
//! anywhere is said, and the message names every key created so far and where its secret went.

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::CliError;
use crate::api::{ApiKeyId, CreatedKey};
use crate::output::clean;

/// Where the secrets go.
enum Dest {
    File {
        file: File,
        path: PathBuf,
        dotenv: bool,
        /// Variable names used so far (dotenv): each name once.
        names: HashSet<String>,
    },
    Stdout {
        json: bool,
    },
}

/// Where one key's secret went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Went {
    /// Its destination (the file, stdout).
    Dest,
    /// The terminal, after its destination failed.
    Terminal,
    /// Nowhere: the secret is lost.
    Lost,
}

/// The destination of a run's secrets, and what became of each.
pub(crate) struct SecretSink {
    dest: Dest,
    /// The first write failure, if any (the run then creates no more keys).
    pub failure: Option<String>,
    /// Every key created in this run, and where its secret went.
    pub created: Vec<(ApiKeyId, Went)>,
}

impl SecretSink {
    /// `--secrets-out PATH` (else stdout). A regular file must be new (secrets are never
    /// written over another); a pipe or a device (`/dev/stdout`) is written as it is.
    pub fn open(path: Option<&Path>, json: bool) -> Result<SecretSink, CliError> {
        let dest = match path {
            None => Dest::Stdout { json },
            Some(p) => {
                let file = open_private(p)?;
                let dotenv = p
                    .file_name()
                    .map(|n| n.to_string_lossy().ends_with(".env"))
                    .unwrap_or(false);
                Dest::File {
                    file,
                    path: p.to_owned(),
                    dotenv,
                    names: HashSet::new(),
                }
            }
        };
        Ok(SecretSink {
            dest,
            failure: None,
            created: Vec::new(),
        })
    }

    /// Whether the secrets go to a file (then they go nowhere else).
    pub fn to_file(&self) -> Option<&Path> {
        match &self.dest {
            Dest::File { path, .. } => Some(path),
            Dest::Stdout { .. } => None,
        }
    }

    /// How many secrets reached their destination.
    pub fn written(&self) -> usize {
        self.created
            .iter()
            .filter(|(_, w)| *w == Went::Dest)
            .count()
    }

    /// Deliver one new key's secret now (`old`: the key it replaces). `Err`: it reached
    /// nobody (said on stderr already).
    pub fn deliver(
        &mut self,
        old: Option<(&ApiKeyId, &str)>,
        k: &CreatedKey,
    ) -> Result<(), String> {
        let r = if self.failure.is_some() {
            Err("an earlier secret could not be written there".to_owned())
        } else {
            self.write(old, k)
        };
        let went = match r {
            Ok(()) => Went::Dest,
            Err(why) => {
                let place = self.place();
                self.failure.get_or_insert_with(|| why.clone());
                match to_terminal(&place, &why, k) {
                    Ok(()) => Went::Terminal,
                    Err(t) => {
                        crate::errln!(
                            "sgkeys: the secret of {} could not be written to {place} ({why}) and \
                             there is no terminal to show it on ({t}): it is LOST",
                            k.api_key_id
                        );
                        Went::Lost
                    }
                }
            }
        };
        self.created.push((k.api_key_id.clone(), went.clone()));
        if went == Went::Lost {
            Err(format!(
                "it could not be written to {} ({})",
                self.place(),
                self.failure.as_deref().unwrap_or("")
            ))
        } else {
            Ok(())
        }
    }

    fn place(&self) -> String {
        match &self.dest {
            Dest::File { path, .. } => path.display().to_string(),
            Dest::Stdout { .. } => "stdout".into(),
        }
    }

    fn write(&mut self, old: Option<(&ApiKeyId, &str)>, k: &CreatedKey) -> Result<(), String> {
        match &mut self.dest {
            Dest::File {
                file,
                dotenv,
                names,
                ..
            } => {
                let line = if *dotenv {
                    let name = distinct(names, env_name(&k.name));
                    format!("{name}={}\n", k.api_key.expose())
                } else {
                    let mut v = json!({"api_key_id": k.api_key_id, "name": k.name,
                                       "api_key": k.api_key.expose()});
                    if let Some((id, name)) = old {
                        v["old"] = json!({"api_key_id": id, "name": name});
                    }
                    format!("{v}\n")
                };
                file.write_all(line.as_bytes())
                    .and_then(|()| file.flush())
                    .and_then(|()| sync(file))
                    .map_err(|e| e.to_string())
            }
            Dest::Stdout { json: true } => {
                let mut v = json!({"event": "created", "new": {"api_key_id": k.api_key_id,
                    "name": k.name, "scopes": crate::scopes::sendable(&k.scopes),
                    "api_key": k.api_key.expose()}});
                if let Some((id, name)) = old {
                    v["old"] = json!({"api_key_id": id, "name": name});
                }
                let text = crate::text::json_safe(&v.to_string()).into_owned();
                write_stdout(&format!("{text}\n"))
            }
            Dest::Stdout { json: false } => {
                match old {
                    Some((id, name)) => crate::errln!(
                        "Replacement for '{}' ({id}): '{}' ({}). Its secret, shown only this once:",
                        clean(name),
                        clean(&k.name),
                        k.api_key_id
                    ),
                    None => crate::errln!(
                        "Created '{}' ({}). Its secret, shown only this once:",
                        clean(&k.name),
                        k.api_key_id
                    ),
                }
                write_stdout(&format!("{}\n", k.api_key.expose()))
            }
        }
    }

    /// After the run: say where the secrets went, and on a failure name every key created
    /// and where its secret is. Returns whether every secret reached its destination.
    pub fn finish(&mut self) -> bool {
        let written = self.written();
        if let Dest::File { file, path, .. } = &mut self.dest {
            if self.failure.is_none()
                && let Err(e) = sync(file)
            {
                self.failure = Some(e.to_string());
            }
            if self.failure.is_none() && !self.created.is_empty() {
                crate::errln!(
                    "Wrote {} to {} (0600)",
                    crate::text::plural(written, "secret", "secrets"),
                    path.display()
                );
            }
        }
        let Some(why) = &self.failure else {
            return true;
        };
        crate::errln!(
            "sgkeys: could not write the secrets to {}: {}",
            self.place(),
            clean(why)
        );
        crate::errln!(
            "No more keys were created after that. Keys created in this run ({}):",
            self.created.len()
        );
        for (id, went) in &self.created {
            let state = match went {
                Went::Dest => format!("secret written to {}", self.place()),
                Went::Terminal => "secret shown on the terminal only".to_owned(),
                Went::Lost => format!("secret LOST: revoke it (sgkeys revoke {id})"),
            };
            crate::errln!("  {id}  {state}");
        }
        false
    }
}

/// The secret on the controlling terminal, after its destination failed.
fn to_terminal(place: &str, why: &str, k: &CreatedKey) -> Result<(), String> {
    let mut t = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/tty")
        .map_err(|e| e.to_string())?;
    let text = format!(
        "\nsgkeys: could not write the secret of '{}' ({}) to {place} ({why}).\nIts secret, \
         shown only this once (store it now):\n{}\n",
        clean(&k.name),
        k.api_key_id,
        k.api_key.expose()
    );
    t.write_all(text.as_bytes())
        .and_then(|()| t.flush())
        .map_err(|e| e.to_string())
}

/// Write to stdout and return the error (a closed pipe included: a secret is not output to
/// drop quietly).
fn write_stdout(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| e.to_string())?;
    // on disk when stdout is a file (`> new-keys.json`); pipes and terminals cannot sync
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let fd = out.as_raw_fd();
        // SAFETY: fstat/fsync on the process's own stdout descriptor.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(fd, &mut st) } == 0
            && (st.st_mode & libc::S_IFMT) == libc::S_IFREG
            && unsafe { libc::fsync(fd) } != 0
        {
            return Err(std::io::Error::last_os_error().to_string());
        }
    }
    Ok(())
}

/// fsync a regular file; pipes and devices cannot be synced (and need not be).
fn sync(f: &File) -> std::io::Result<()> {
    match f.metadata() {
        Ok(m) if m.is_file() => f.sync_all(),
        _ => Ok(()),
    }
}

/// A new file only its owner can read; an existing pipe or device is written as it is.
fn open_private(p: &Path) -> Result<File, CliError> {
    let usage = |e: std::io::Error| {
        CliError::Usage(format!(
            "--secrets-out {}: {e} (it must be a new file: secrets are never written over another)",
            p.display()
        ))
    };
    if let Ok(m) = std::fs::metadata(p)
        && !m.is_file()
        && !m.is_dir()
    {
        return std::fs::OpenOptions::new()
            .append(true)
            .open(p)
            .map_err(usage);
    }
    let mut o = std::fs::OpenOptions::new();
    o.append(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(p).map_err(usage)
}

/// The `NAME=` of a dotenv line for a key name: upper case, `_` for anything else.
pub(crate) fn env_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    let s = s.trim_matches('_').to_owned();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("SENDGRID_{s}")
    } else {
        s
    }
}

/// `name`, or `name_2`, `name_3`… when taken: two keys with one name get two variables.
fn distinct(used: &mut HashSet<String>, name: String) -> String {
    let mut candidate = name.clone();
    let mut n = 1;
    while used.contains(&candidate) {
        n += 1;
        candidate = format!("{name}_{n}");
    }
    used.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_are_distinct() {
        assert_eq!(
            env_name("ci deploy: web (rotated 2026-11-28)"),
            "CI_DEPLOY_WEB_ROTATED_2026_11_28"
        );
        let mut used = HashSet::new();
        let names: Vec<String> = ["ci", "ci", "ci", "CI_2"]
            .iter()
            .map(|n| distinct(&mut used, env_name(n)))
            .collect();
        assert_eq!(names, ["CI", "CI_2", "CI_3", "CI_2_2"]);
    }
}
