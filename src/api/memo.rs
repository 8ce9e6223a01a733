//! The creation budget remembered between runs: `$XDG_STATE_HOME/sgkeys/create-budget.json`.
//!
//! A run learns the creation budget (one key per 2 s on the simulator) only from its own creates'
//! answers, so `sgkeys create …; sgkeys recreate …` in a script would meet a 429 at its second
//! create. Each create's answer is noted here (per base URL: when the window it spent resets, by
//! the local clock, and what remained); a later run's first create waits for a spent window's
//! reset, at most half its time left ([`super::gate`]), and its own answer then tells the truth.
//!
//! A hint, never the user's data: no secret and no key id in it (base URLs and two numbers),
//! mode 0600, read with a size cap, replaced whole (temp file and rename); a file that cannot be
//! read or written changes nothing but the pacing.

use std::io::Read;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Bytes read at most (a few dozen base URLs fit in a few KiB).
const CAP: u64 = 64 * 1024;
/// Base URLs kept at most (the soonest resets are dropped first).
const KEEP: usize = 32;

/// One base URL's creation window as its last create's answer told it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Spent {
    /// Local epoch seconds when the window resets.
    pub reset_local: f64,
    /// Creations left in it after that answer.
    pub remaining: u64,
}

/// Where the creation budget of requests to `base` is remembered.
#[derive(Debug, Clone)]
pub(crate) struct Memo {
    path: PathBuf,
    base: String,
}

type Entries = std::collections::BTreeMap<String, Spent>;

impl Memo {
    pub(crate) fn new(path: PathBuf, base: &str) -> Memo {
        Memo {
            path,
            base: base.to_owned(),
        }
    }

    fn read_all(&self) -> Entries {
        let Ok(f) = std::fs::File::open(&self.path) else {
            return Entries::new();
        };
        let mut text = String::new();
        if f.take(CAP + 1).read_to_string(&mut text).is_err() || text.len() as u64 > CAP {
            return Entries::new();
        }
        serde_json::from_str(&text).unwrap_or_default()
    }

    /// The last answer's window for this base URL, if its reset has not passed (`now`: local
    /// epoch seconds) and nothing remained in it.
    pub(crate) fn spent_until(&self, now: f64) -> Option<f64> {
        self.read_all()
            .get(&self.base)
            .filter(|s| s.remaining == 0 && s.reset_local > now)
            .map(|s| s.reset_local)
    }

    /// Note this base URL's window after a create's answer (`now`: local epoch seconds; windows
    /// that have reset are dropped).
    pub(crate) fn note(&self, spent: Spent, now: f64) {
        let mut all = self.read_all();
        all.retain(|_, s| s.reset_local > now);
        all.insert(self.base.clone(), spent);
        while all.len() > KEEP {
            let soonest = all
                .iter()
                .min_by(|a, b| a.1.reset_local.total_cmp(&b.1.reset_local))
                .map(|(k, _)| k.clone());
            match soonest {
                Some(k) => all.remove(&k),
                None => break,
            };
        }
        if let Err(e) = self.write(&all) {
            tracing::debug!(path = %self.path.display(), "creation budget not remembered: {e}");
        }
    }

    fn write(&self, all: &Entries) -> std::io::Result<()> {
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        std::fs::create_dir_all(dir)?;
        // a NamedTempFile is created 0600
        let mut tmp = tempfile::Builder::new()
            .prefix(".create-budget.")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        serde_json::to_writer(&mut tmp, all)?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_window_is_remembered_per_base_url_until_it_resets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/create-budget.json");
        let a = Memo::new(path.clone(), "http://a");
        let b = Memo::new(path.clone(), "http://b");
        assert_eq!(a.spent_until(100.0), None, "no file: nothing to wait for");
        a.note(
            Spent {
                reset_local: 102.0,
                remaining: 0,
            },
            100.0,
        );
        b.note(
            Spent {
                reset_local: 160.0,
                remaining: 3,
            },
            100.5,
        );
        assert_eq!(a.spent_until(101.0), Some(102.0));
        assert_eq!(a.spent_until(102.0), None, "reset");
        assert_eq!(b.spent_until(101.0), None, "creations remained");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // too large or not JSON: nothing remembered, nothing breaks
        std::fs::write(&path, vec![b' '; CAP as usize + 10]).unwrap();
        assert_eq!(a.spent_until(101.0), None);
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(a.spent_until(101.0), None);
        a.note(
            Spent {
                reset_local: 104.0,
                remaining: 0,
            },
            103.0,
        );
        assert_eq!(a.spent_until(103.0), Some(104.0));
        // at most KEEP base URLs
        for i in 0..(KEEP + 5) {
            Memo::new(path.clone(), &format!("http://{i}")).note(
                Spent {
                    reset_local: 200.0 + i as f64,
                    remaining: 0,
                },
                103.0,
            );
        }
        let all = a.read_all();
        assert_eq!(all.len(), KEEP);
        assert!(all.contains_key(&format!("http://{}", KEEP + 4)));
    }
}
