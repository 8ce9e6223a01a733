//! The state file: loaded at start, rewritten atomically after every mutation (temp file in the
//! same directory, fsync, rename; mode 0600).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::SimError;
use super::store::{StateFile, Store};

/// Writes snapshots in order: a snapshot older than the last one written is skipped.
#[derive(Debug)]
pub(crate) struct Persister {
    pub path: PathBuf,
    written: Mutex<u64>,
}

impl Persister {
    pub fn new(path: PathBuf) -> Self {
        Persister {
            path,
            written: Mutex::new(0),
        }
    }

    /// Write snapshot number `generation` unless a newer one is already on disk.
    pub fn write(&self, generation: u64, bytes: &[u8]) -> Result<(), SimError> {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if generation <= *written {
            return Ok(());
        }
        write_atomic(&self.path, bytes).map_err(|source| SimError::StateWrite {
            path: self.path.clone(),
            source,
        })?;
        *written = generation;
        Ok(())
    }
}

/// Read a state file; `Ok(None)` when it does not exist.
/// Remove temporary state files a killed simulator left behind (`.NAME.tmpPID` beside the state
/// file): they hold the admin key.
pub(crate) fn remove_stale_temps(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!(".{name}.tmp");
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = n.strip_prefix(&prefix)
            && pid.chars().all(|c| c.is_ascii_digit())
            && e.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = fs::remove_file(e.path());
        }
    }
}

pub(crate) fn load(path: &Path, rng_seed: Option<u64>) -> Result<Option<Store>, SimError> {
    remove_stale_temps(path);
    let bad = |reason: String| SimError::State {
        path: path.to_owned(),
        reason,
    };
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(bad(format!("cannot read it: {e}"))),
    };
    let state: StateFile = serde_json::from_slice(&bytes).map_err(|e| {
        bad(format!(
            "not a valid simulator state file ({e}); fix it or delete it to start from the seed"
        ))
    })?;
    Store::from_state(state, rng_seed)
        .map(Some)
        .map_err(|reason| {
            bad(format!(
                "{reason}; fix it or delete it to start from the seed"
            ))
        })
}

/// Serialize the whole store: compact JSON with one key per line (readable, diffable, and
/// small enough to rewrite after every mutation even with 10 000 keys).
pub(crate) fn snapshot(store: &Store) -> Vec<u8> {
    let mut state = store.to_state();
    let accounts = std::mem::take(&mut state.accounts);
    let total: usize = accounts.iter().map(|a| a.keys.len()).sum();
    let mut out = String::with_capacity(256 * (1 + total));
    // The serialized head ends with `"accounts":[]}` (accounts is the last field): splice the
    // accounts in, and likewise each account's keys.
    let head = to_json(&state);
    out.push_str(head.strip_suffix("[]}").unwrap_or(&head));
    out.push_str("[\n");
    for (i, mut account) in accounts.into_iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        let keys = std::mem::take(&mut account.keys);
        let a = to_json(&account);
        out.push_str(a.strip_suffix("[]}").unwrap_or(&a));
        out.push_str("[\n");
        for (j, key) in keys.iter().enumerate() {
            if j > 0 {
                out.push_str(",\n");
            }
            out.push_str(&to_json(key));
        }
        out.push_str("\n]}");
    }
    out.push_str("\n]}\n");
    out.into_bytes()
}

/// Serializing plain structs of strings, numbers and booleans cannot fail.
fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sgkeys-sim-state".into());
    // Never replace a link, FIFO or device with a regular file: the state is a plain file.
    if let Ok(meta) = fs::symlink_metadata(path)
        && !meta.file_type().is_file()
    {
        return Err(std::io::Error::other(format!(
            "{} is not a regular file; refusing to replace it with the simulator's state",
            path.display()
        )));
    }
    let tmp = dir.join(format!(".{file_name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        #[cfg(unix)]
        {
            // The mode above only applies to new files; make sure of it for a stale temp file.
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        #[cfg(unix)]
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::store::{KeyGen, ScopeSet, SimScopes};
    use super::*;
    use crate::api::Region;
    use crate::secret::Secret;
    use rand::SeedableRng;

    #[test]
    fn snapshot_is_the_state_as_json_one_key_per_line() {
        let admin = Secret::generate(&mut rand::rngs::StdRng::seed_from_u64(5));
        let mut store = Store::new(
            admin,
            "acme",
            KeyGen {
                seed: Some(1),
                generated: 0,
            },
        );
        store.add_subuser(7, "empty-sub", "e@x", Region::Eu);
        let sub = store.add_subuser(8, "sub", "s@x", Region::Global);
        store.mint(
            sub,
            "a \"quoted\" name",
            ScopeSet::from_names(&["mail.send"]).0,
        );
        store.mint(sub, "b", ScopeSet::default_auto());
        let bytes = snapshot(&store);
        let text = String::from_utf8(bytes.clone()).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let direct = serde_json::to_value(store.to_state()).unwrap();
        assert_eq!(parsed, direct);
        assert_eq!(text.lines().filter(|l| l.contains("api_key_id")).count(), 3);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let p = Persister::new(path.clone());
        p.write(2, &bytes).unwrap();
        p.write(1, b"older snapshot: skipped").unwrap();
        let back = load(&path, Some(1)).unwrap().unwrap();
        assert_eq!(back.accounts.len(), 3);
        assert_eq!(back.accounts[2].keys.len(), 2);
        assert!(
            load(&dir.path().join("missing.json"), None)
                .unwrap()
                .is_none()
        );
    }
}
