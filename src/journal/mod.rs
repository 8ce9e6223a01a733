//! The local journal: a write-ahead log of every mutation (create, rename, set scopes, revoke,
//! recreate), from the TUI or the CLI.
//!
//! Each mutation writes two JSON lines sharing an `op` id: an **intent** line, appended and
//! fsynced *before* the request is sent (action, context, key id, name, scopes before), and an
//! **outcome** line after (`ok` / `failed` / `unknown`, status). A run killed at any instant
//! therefore leaves every key it touched named in the journal; an intent with no outcome reads
//! back as "unknown: check". If the intent cannot be written, the request is not sent.
//!
//! Reading merges the pair into one [`Entry`], streamed in bounded memory at any size
//! ([`read`]). Lines that are not journal entries (a torn write after a crash, a line over
//! [`read::MAX_LINE`], anything else) are skipped with a warning, never making the journal
//! unreadable, and the next append starts on a fresh line. Lines written before the write-ahead format (no
//! `phase`) are complete entries on their own.
//!
//! Never holds a secret: [`Entry`] has no field that could carry one.

use std::io::{Read, Seek, SeekFrom, Write};

pub mod read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
    /// A replacement made for a key that keeps working until it is revoked (`replaces`).
    Rotate,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Rename => "rename",
            Action::SetScopes => "set-scopes",
            Action::Revoke => "revoke",
            Action::Recreate => "recreate",
            Action::Rotate => "rotate",
        }
    }
}

/// Which half of a write-ahead pair a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Intent,
    Outcome,
}

/// How a mutation ended, as far as sgkeys could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done (confirmed by the answer, or by reading the key back).
    Ok,
    /// Not done (refused, or read back unchanged).
    Failed,
    /// Nobody can tell yet: no answer, and reading back did not settle it. Check the key.
    Unknown,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
        }
    }
}

/// One journal record: a line as written, or (after [`Journal::read`]) an intent merged with its
/// outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339, UTC.
    pub time: String,
    /// Links an intent line to its outcome line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    pub base_url: String,
    /// Where the request went when that is not `base_url`: an EU subuser's calls go to the EU
    /// host (absent in entries written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_to: Option<String>,
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
    /// True only when the outcome is [`Outcome::Ok`] (kept for readers of the first format).
    pub ok: bool,
    /// None on an intent line, and on a merged entry whose outcome was never written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `cli` or `tui`.
    pub source: String,
    /// For `recreate`: the id of the revoked key it replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// For a revoke whose key was at hand (a leak): whether it was then seen refused by
    /// SendGrid (401), and how long after the revoke.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_after_ms: Option<u64>,
    /// For a revoke whose secret was not at hand (a rotation's old key): whether reading the
    /// key back then answered 404 (gone from the account; not proof it no longer authenticates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gone_on_read_back: Option<bool>,
    /// For a rotation's replacement: whether its secret reached its destination (a file, the
    /// terminal, the dialog). `false` from the intent until a later line says it was delivered;
    /// absent in entries written before it was recorded. A rotation whose secret was not
    /// delivered is never pending: its replacement is an orphan (see [`Journal::lost_rotations`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_delivered: Option<bool>,
    /// A leaked key revoked with its own credential (`--self-revoke`), in its own account: not
    /// the account of `base_url` and `on_behalf_of` (which sgkeys could not find it in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_revoke: Option<bool>,
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
            time: now_rfc3339(),
            op: None,
            phase: None,
            base_url: base_url.to_owned(),
            sent_to: None,
            on_behalf_of,
            action,
            api_key_id: id.to_owned(),
            name: None,
            name_before: None,
            scopes_before: None,
            scopes_after: None,
            status: None,
            ok: false,
            outcome: None,
            error: None,
            source: source.to_owned(),
            replaces: None,
            verified: None,
            verified_after_ms: None,
            gone_on_read_back: None,
            secret_delivered: None,
            self_revoke: None,
        }
    }

    /// Acted in the account of sgkeys' context (`base_url`, `on_behalf_of`): false for a
    /// self-revoke, which acted in the leaked key's own account.
    pub fn in_its_context(&self) -> bool {
        self.self_revoke != Some(true)
    }

    /// How it ended: the outcome line's word, or for a line of the first format its `ok`;
    /// an intent that never got an outcome is [`Outcome::Unknown`].
    pub fn result(&self) -> Outcome {
        match (self.outcome, self.phase) {
            (Some(o), _) => o,
            (None, Some(Phase::Intent)) => Outcome::Unknown,
            (None, _) if self.ok => Outcome::Ok,
            (None, _) => Outcome::Failed,
        }
    }

    /// An intent line with no outcome: the request may or may not have reached SendGrid.
    pub fn unresolved(&self) -> bool {
        self.phase == Some(Phase::Intent) && self.outcome.is_none()
    }

    /// Set the outcome (and the `ok` flag that mirrors it).
    pub fn settle(&mut self, outcome: Outcome, status: Option<u16>, error: Option<String>) {
        self.outcome = Some(outcome);
        self.ok = outcome == Outcome::Ok;
        self.status = status;
        self.error = error;
    }
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// A fresh op id: time and randomness, unique enough to pair two lines of one file.
fn new_op_id() -> String {
    use rand::Rng;
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("{t:x}-{:08x}", rand::rng().random::<u32>())
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
}

/// What [`Journal::read`] found.
#[derive(Debug, Default)]
pub struct Contents {
    /// Oldest first; an intent and its outcome merged into one entry at the intent's place.
    pub entries: Vec<Entry>,
    /// One line per line that was not a journal entry (skipped).
    pub warnings: Vec<String>,
}

/// The journal file. Clones share one lock, so lines from concurrent tasks never interleave.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
    lock: Arc<Mutex<()>>,
    /// The last [`Journal::recent`] answer and the file's length and time it was read at: a
    /// journal unchanged since is not read again (the dashboard asks on every refresh).
    recent: Arc<Mutex<Option<Recent>>>,
}

#[derive(Debug)]
struct Recent {
    len: u64,
    modified: Option<std::time::SystemTime>,
    n: usize,
    entries: Vec<Entry>,
}

impl Journal {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Journal {
            path: path.into(),
            lock: Arc::new(Mutex::new(())),
            recent: Arc::new(Mutex::new(None)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Record the intent to mutate, before the request is sent. Returns the entry to settle and
    /// pass to [`Journal::outcome`]. An error here means: do not send.
    pub fn intent(&self, mut entry: Entry) -> Result<Entry, JournalError> {
        entry.op = Some(new_op_id());
        entry.phase = Some(Phase::Intent);
        entry.outcome = None;
        entry.ok = false;
        entry.time = now_rfc3339();
        self.append(&entry)?;
        Ok(entry)
    }

    /// Record how an intent ended (the entry returned by [`Journal::intent`], settled).
    pub fn outcome(&self, entry: &Entry) -> Result<(), JournalError> {
        let mut line = entry.clone();
        line.phase = Some(Phase::Outcome);
        line.time = now_rfc3339();
        if line.outcome.is_none() {
            line.settle(Outcome::Unknown, line.status, line.error.clone());
        }
        self.append(&line)
    }

    /// Add to a settled revoke's record whether the key was then seen refused by SendGrid, and
    /// after how long (one more outcome line for the same op: the newest wins on reading).
    pub fn verification(
        &self,
        entry: &Entry,
        dead: bool,
        after_ms: u64,
    ) -> Result<(), JournalError> {
        let mut e = entry.clone();
        e.verified = Some(dead);
        e.verified_after_ms = Some(after_ms);
        self.outcome(&e)
    }

    /// Add to a settled revoke's record what reading the key back answered (gone: 404).
    pub fn read_back(&self, entry: &Entry, gone: bool) -> Result<(), JournalError> {
        let mut e = entry.clone();
        e.gone_on_read_back = Some(gone);
        self.outcome(&e)
    }

    /// Add to a settled rotation's record whether its replacement's secret was delivered.
    pub fn delivery(&self, entry: &Entry, delivered: bool) -> Result<(), JournalError> {
        let mut e = entry.clone();
        e.secret_delivered = Some(delivered);
        self.outcome(&e)
    }

    /// Append one line; returns once it is on disk (flushed and fsynced). The file is created
    /// 0600; an existing one readable by others is tightened to 0600. A torn last line (a crash
    /// mid-write) is ended first, so this line starts on a line of its own.
    pub fn append(&self, entry: &Entry) -> Result<(), JournalError> {
        let err = |source| JournalError::Write {
            path: self.path.clone(),
            source,
        };
        let mut line = serde_json::to_string(entry).map_err(|e| err(std::io::Error::other(e)))?;
        line.push('\n');
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let (mut f, tightened) = crate::fsutil::create_private_append(&self.path).map_err(err)?;
        if let Some(w) = tightened {
            tracing::warn!("journal: {w}");
        }
        if ends_torn(&self.path) {
            line.insert(0, '\n');
        }
        f.write_all(line.as_bytes()).map_err(err)?;
        f.flush().map_err(err)?;
        f.sync_all().map_err(err)?;
        Ok(())
    }

    /// Every entry, oldest first, with warnings for skipped lines, in memory (for the whole
    /// journal at hand; [`Journal::for_each`] reads it in bounded memory). A missing journal is
    /// empty.
    pub fn read(&self) -> Result<Contents, JournalError> {
        let mut entries = Vec::new();
        let warnings = self.for_each(|e| entries.push(e))?;
        Ok(Contents { entries, warnings })
    }

    /// The newest `n` entries, oldest first, after every older rotation still open (pending,
    /// or secret lost), read in bounded memory: what the dashboard holds of a journal of any
    /// size, with every pending rotation's badge.
    pub fn recent(&self, n: usize) -> Result<Vec<Entry>, JournalError> {
        let stamp = std::fs::metadata(&self.path)
            .ok()
            .map(|m| (m.len(), m.modified().ok()));
        if let Some((len, modified)) = stamp
            && let Some(c) = &*self.recent.lock().unwrap_or_else(|p| p.into_inner())
            && (c.len, c.modified, c.n) == (len, modified, n)
        {
            return Ok(c.entries.clone());
        }
        let entries = self.read_recent(n)?;
        if let Some((len, modified)) = stamp {
            *self.recent.lock().unwrap_or_else(|p| p.into_inner()) = Some(Recent {
                len,
                modified,
                n,
                entries: entries.clone(),
            });
        }
        Ok(entries)
    }

    fn read_recent(&self, n: usize) -> Result<Vec<Entry>, JournalError> {
        let mut ring: std::collections::VecDeque<Entry> = Default::default();
        let mut p = Pending::default();
        self.for_each(|e| {
            p.add(&e);
            ring.push_back(e);
            if ring.len() > n {
                ring.pop_front();
            }
        })?;
        let mut out: Vec<Entry> = p
            .pending()
            .into_iter()
            .chain(p.lost())
            .filter(|e| !ring.contains(e))
            .cloned()
            .collect();
        out.sort_by(|a, b| a.time.cmp(&b.time));
        out.extend(ring);
        Ok(out)
    }

    /// Where rotations stand (pending, secret lost), read in bounded memory.
    pub fn rotations(&self) -> Result<Pending, JournalError> {
        let mut p = Pending::default();
        self.for_each(|e| p.add(&e))?;
        Ok(p)
    }

    /// Rotations whose old key has not been revoked yet (a replacement made and its secret
    /// delivered, the old key kept until the new one is deployed), oldest first. A rotation
    /// whose replacement was revoked since is over, not pending.
    pub fn pending_rotations(entries: &[Entry]) -> Vec<&Entry> {
        let mut p = Pending::default();
        for e in entries {
            p.add(e);
        }
        p.pending_refs(entries)
    }

    /// Rotations whose replacement exists but whose secret reached nobody (the answer was lost,
    /// the secrets file could not be written, sgkeys stopped first): the replacement is an
    /// orphan to revoke, the old key is kept, and the rotation is to be made again.
    pub fn lost_rotations(entries: &[Entry]) -> Vec<&Entry> {
        let mut p = Pending::default();
        for e in entries {
            p.add(e);
        }
        p.lost_refs(entries)
    }

    /// Every entry, oldest first (warnings dropped; see [`Journal::read`]).
    pub fn read_all(&self) -> Result<Vec<Entry>, JournalError> {
        Ok(self.read()?.entries)
    }
}

/// Where rotations stand, built from the journal's entries in order (oldest first), in memory
/// bounded by the rotations that are still open.
#[derive(Debug, Default, Clone)]
pub struct Pending {
    /// Rotations whose replacement exists, by (context, old key id), with their order.
    open: std::collections::HashMap<(String, Option<String>, String), (u64, Entry)>,
    /// The same rotations by (context, replacement id): a revoke of either key ends one.
    by_new: std::collections::HashMap<(String, Option<String>, String), String>,
    seq: u64,
}

impl Pending {
    /// Take one entry (merged intent and outcome) into account.
    pub fn add(&mut self, e: &Entry) {
        let ctx = (e.base_url.clone(), e.on_behalf_of.clone());
        match e.action {
            Action::Rotate
                if e.result() == Outcome::Ok
                    && !e.api_key_id.is_empty()
                    && e.replaces.is_some() =>
            {
                let old = e.replaces.clone().unwrap_or_default();
                self.seq += 1;
                let key = (ctx.0.clone(), ctx.1.clone(), old.clone());
                if let Some((_, before)) = self.open.insert(key, (self.seq, e.clone())) {
                    self.by_new
                        .remove(&(ctx.0.clone(), ctx.1.clone(), before.api_key_id));
                }
                self.by_new
                    .insert((ctx.0, ctx.1, e.api_key_id.clone()), old);
            }
            Action::Revoke if e.result() == Outcome::Ok => {
                // the old key revoked: finished; the replacement revoked: over
                let key = (ctx.0, ctx.1, e.api_key_id.clone());
                if let Some((_, r)) = self.open.remove(&key) {
                    self.by_new
                        .remove(&(key.0.clone(), key.1.clone(), r.api_key_id));
                }
                if let Some(old) = self.by_new.remove(&key) {
                    self.open.remove(&(key.0, key.1, old));
                }
            }
            _ => {}
        }
    }

    fn sorted(&self, lost: bool) -> Vec<&Entry> {
        let mut v: Vec<&(u64, Entry)> = self
            .open
            .values()
            .filter(|(_, e)| (e.secret_delivered == Some(false)) == lost)
            .collect();
        v.sort_by_key(|(n, _)| *n);
        v.into_iter().map(|(_, e)| e).collect()
    }

    /// Pending rotations (secret delivered, old key not revoked), oldest first.
    pub fn pending(&self) -> Vec<&Entry> {
        self.sorted(false)
    }

    /// Rotations whose secret was lost (see [`Journal::lost_rotations`]), oldest first.
    pub fn lost(&self) -> Vec<&Entry> {
        self.sorted(true)
    }

    fn refs<'a>(&self, entries: &'a [Entry], lost: bool) -> Vec<&'a Entry> {
        let wanted = self.sorted(lost);
        entries
            .iter()
            .filter(|e| e.action == Action::Rotate && wanted.contains(e))
            .collect()
    }

    fn pending_refs<'a>(&self, entries: &'a [Entry]) -> Vec<&'a Entry> {
        self.refs(entries, false)
    }

    fn lost_refs<'a>(&self, entries: &'a [Entry]) -> Vec<&'a Entry> {
        self.refs(entries, true)
    }
}

/// Whether a regular file's last byte is not a newline (a line torn by a crash mid-write).
fn ends_torn(path: &Path) -> bool {
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let len = match f.metadata() {
        Ok(m) if m.is_file() => m.len(),
        _ => return false,
    };
    let mut last = [0u8; 1];
    len > 0
        && f.seek(SeekFrom::Start(len - 1)).is_ok()
        && f.read_exact(&mut last).is_ok()
        && last[0] != b'\n'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revoke(id: &str) -> Entry {
        let mut e = Entry::new(Action::Revoke, "http://x", Some("acme".into()), id, "cli");
        e.name = Some("ci".into());
        e.scopes_before = Some(vec!["mail.send".into()]);
        e
    }

    #[test]
    fn intent_and_outcome_merge_into_one_entry() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::new(dir.path().join("sub/journal.jsonl"));
        assert!(j.read_all().unwrap().is_empty());
        let mut a = j.intent(revoke("abc")).unwrap();
        let b = j.intent(revoke("def")).unwrap();
        a.settle(Outcome::Ok, Some(204), None);
        j.outcome(&a).unwrap();
        let text = std::fs::read_to_string(j.path()).unwrap();
        assert_eq!(text.lines().count(), 3, "two intents and one outcome");
        let all = j.read_all().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].api_key_id, "abc");
        assert_eq!(all[0].result(), Outcome::Ok);
        assert!(all[0].ok);
        assert_eq!(all[0].status, Some(204));
        assert_eq!(all[1].api_key_id, "def");
        assert!(all[1].unresolved());
        assert_eq!(all[1].result(), Outcome::Unknown);
        assert_eq!(b.op, all[1].op);
    }

    #[test]
    fn rotations_are_pending_only_when_delivered_and_end_with_either_key_revoked() {
        let rot = |old: &str, new: &str, delivered: Option<bool>| {
            let mut e = Entry::new(Action::Rotate, "http://x", None, new, "cli");
            e.replaces = Some(old.into());
            e.secret_delivered = delivered;
            e.settle(Outcome::Ok, Some(201), None);
            e
        };
        let gone = |id: &str| {
            let mut e = revoke(id);
            e.on_behalf_of = None;
            e.settle(Outcome::Ok, Some(204), None);
            e
        };
        let entries = vec![
            rot("a", "A", Some(true)),
            rot("b", "B", Some(false)),
            rot("c", "C", None),
            rot("d", "D", Some(true)),
            gone("a"),
            gone("D"),
        ];
        let pending: Vec<&str> = Journal::pending_rotations(&entries)
            .iter()
            .map(|e| e.api_key_id.as_str())
            .collect();
        assert_eq!(
            pending,
            ["C"],
            "a finished, b lost, c from before deliveries, d over"
        );
        let lost: Vec<&str> = Journal::lost_rotations(&entries)
            .iter()
            .map(|e| e.api_key_id.as_str())
            .collect();
        assert_eq!(lost, ["B"]);
    }

    #[test]
    fn first_format_lines_are_whole_entries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let old = r#"{"time":"2026-01-01T00:00:00Z","base_url":"u","action":"revoke","api_key_id":"a","status":204,"ok":true,"source":"cli"}"#;
        std::fs::write(&p, format!("{old}\n")).unwrap();
        let all = Journal::new(&p).read_all().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].result(), Outcome::Ok);
        assert!(!all[0].unresolved());
    }

    #[test]
    fn a_torn_line_is_skipped_with_a_warning_and_the_next_append_starts_a_new_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let j = Journal::new(&p);
        j.append(&revoke("one")).unwrap();
        // a crash mid-write
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"time\":\"20").unwrap();
        drop(f);
        let c = j.read().unwrap();
        assert_eq!(c.entries.len(), 1);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("line 2"), "{:?}", c.warnings);
        j.append(&revoke("two")).unwrap();
        let c = j.read().unwrap();
        let ids: Vec<&str> = c.entries.iter().map(|e| e.api_key_id.as_str()).collect();
        assert_eq!(ids, ["one", "two"]);
        assert_eq!(c.warnings.len(), 1);
        // garbage in the middle does not hide what follows
        std::fs::write(&p, "garbage\n").unwrap();
        j.append(&revoke("three")).unwrap();
        let c = j.read().unwrap();
        assert_eq!(c.entries.len(), 1);
        assert_eq!(c.warnings.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn created_private_and_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let j = Journal::new(&p);
        j.append(&revoke("a")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o600);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        j.append(&revoke("b")).unwrap();
        assert_eq!(mode(&p), 0o600);
    }

    #[test]
    fn an_unwritable_journal_is_an_error() {
        let j = Journal::new("/dev/full");
        if Path::new("/dev/full").exists() {
            assert!(j.intent(revoke("a")).is_err());
        }
        let dir = tempfile::tempdir().unwrap();
        // a directory where the file should be
        let j = Journal::new(dir.path());
        assert!(j.intent(revoke("a")).is_err());
    }
}
