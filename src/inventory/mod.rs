//! The inventory: what sgkeys has seen, and when. One local SQLite file (WAL, mode 0600,
//! `$XDG_STATE_HOME/sgkeys/inventory.sqlite` unless `--inventory`, `SGKEYS_INVENTORY` or the
//! profile's `inventory` says otherwise; none at all with `--no-inventory`).
//!
//! - **contexts**: the account a run acts for (its API host, the calling account, the
//!   on-behalf-of value), with its last complete list read;
//! - **keys**: id, name, scopes (NULL until read in detail: unknown, never "none"), first seen,
//!   last seen, when read in detail, and gone (absent from a complete list read, 404, or revoked
//!   by sgkeys); a partial or failed read proves nothing and marks nothing gone;
//! - **events**: each key's history (first seen, renamed, scopes changed, gone, back);
//! - **list reads** and **sweeps** (started, finished or interrupted, the contexts covered).
//!
//! Never a secret: no column can hold one (ids, names, scope names and times only).
//!
//! Writing goes through a [`Recorder`] (cheap to clone, never blocks the caller): one thread
//! owns the writing connection and commits what arrives in batches. Reading goes through a
//! [`Reader`] (its own connection; WAL lets it read while another process writes). A second
//! sgkeys process writing at the same time waits (busy timeout) and is retried; a damaged file
//! is an error naming the file and `sgkeys inventory clear`, and callers on the incident path
//! (revoke) warn and go on without it.
//!
//! The calling account is named by a key of it: `key:<id>` of the first key seen calling it,
//! found again through any key the account's own list ever showed (so a rotated admin key
//! keeps its account's history).

mod query;
mod record;
pub(crate) mod schema;
mod sweeps;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use query::{ContextRow, EventFilter, EventRow, KeyRow, Reader, Snapshot, SweepRow};
pub use record::{CloseReport, Recorder, Source};

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = i64;

/// How long one statement waits for another process's write to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The file name in the state directory.
pub const FILE_NAME: &str = "inventory.sqlite";
/// The demo's own file (its keys are not an account's).
pub const DEMO_FILE_NAME: &str = "demo-inventory.sqlite";

/// Now, in [`Millis`].
///
/// Strictly increasing within the process: two answers recorded in the same millisecond
/// still come in order (a complete list proves gone only what was last seen *before* it).
pub fn now_ms() -> Millis {
    use std::sync::atomic::{AtomicI64, Ordering};
    static LAST: AtomicI64 = AtomicI64::new(0);
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis);
    let mut prev = LAST.load(Ordering::Relaxed);
    loop {
        let next = wall.max(prev + 1);
        match LAST.compare_exchange_weak(prev, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => prev = seen,
        }
    }
}

/// RFC 3339 (UTC, seconds) of a time in [`Millis`].
pub fn rfc3339(ms: Millis) -> String {
    let t = std::time::UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// `just now`, `12 s ago`, `3 min ago`, `2 h ago`, `4 d ago` (a time in the future: `just now`).
pub fn ago(ms: Millis, now: Millis) -> String {
    let s = (now - ms).max(0) / 1000;
    match s {
        0..5 => "just now".into(),
        5..60 => format!("{s} s ago"),
        60..3600 => format!("{} min ago", s / 60),
        3600..172_800 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// One context as the inventory names it: the API host, the calling account, and whom the
/// calls act for (`None`: the account itself).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Place {
    pub base_url: String,
    pub account: String,
    pub on_behalf_of: Option<String>,
}

/// The host and the calling account of a run: every context it reads is one of this scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub base_url: String,
    pub account: String,
}

impl Scope {
    /// A context of this scope: `on_behalf_of` as the header carries it (`None`: the account
    /// itself).
    pub fn place(&self, on_behalf_of: Option<String>) -> Place {
        Place {
            base_url: self.base_url.clone(),
            account: self.account.clone(),
            on_behalf_of,
        }
    }
}

/// Why the inventory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error(
        "the inventory {path} is damaged ({detail}); `sgkeys inventory clear` removes it (it is \
         rebuilt from the next reads)"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the inventory {path} is busy: another sgkeys process held it for more than {} s; \
         try again when it is done",
        BUSY_TIMEOUT.as_secs()
    )]
    Busy { path: PathBuf },
    #[error(
        "the inventory {path} was written by a newer sgkeys (schema {found}, this one knows \
         {known}); upgrade sgkeys, or `sgkeys inventory clear` to start a new one"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("the inventory {path}: {detail}")]
    Other { path: PathBuf, detail: String },
}

impl InventoryError {
    fn from_sqlite(path: &Path, e: &rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        let path = path.to_path_buf();
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => InventoryError::Corrupt {
                path,
                detail: e.to_string(),
            },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                InventoryError::Busy { path }
            }
            _ => InventoryError::Other {
                path,
                detail: e.to_string(),
            },
        }
    }

    fn io(path: &Path, e: &std::io::Error) -> Self {
        InventoryError::Other {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    }
}

/// Where the inventory lives, or `None` when none is kept. Highest first: `--no-inventory`,
/// `--inventory FILE`, `SGKEYS_NO_INVENTORY`, `SGKEYS_INVENTORY`, the profile's
/// `no_inventory = true`, the profile's `inventory`, then `default`.
pub fn resolve_path(
    flag_off: bool,
    flag_path: Option<PathBuf>,
    env: impl Fn(&str) -> Option<String>,
    profile_off: bool,
    profile_path: Option<PathBuf>,
    default: PathBuf,
) -> Option<PathBuf> {
    let truthy = |v: String| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    };
    if flag_off {
        return None;
    }
    if let Some(p) = flag_path {
        return Some(p);
    }
    if env("SGKEYS_NO_INVENTORY").is_some_and(truthy) {
        return None;
    }
    if let Some(p) = env("SGKEYS_INVENTORY").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if profile_off {
        return None;
    }
    Some(profile_path.unwrap_or(default))
}

/// The open inventory: its file, and the thread that writes it.
pub struct Inventory {
    path: PathBuf,
    recorder: record::Writer,
}

impl std::fmt::Debug for Inventory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inventory")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Inventory {
    /// Open (creating it 0600, its directory 0700) and bring the schema up to date.
    pub fn open(path: &Path) -> Result<Inventory, InventoryError> {
        prepare_file(path)?;
        let conn = connect(path)?;
        let writer = record::Writer::start(conn, path.to_path_buf());
        Ok(Inventory {
            path: path.to_path_buf(),
            recorder: writer,
        })
    }

    /// Open an existing inventory to read; `Ok(None)` when there is none yet (nothing is
    /// created).
    pub fn read_existing(path: &Path) -> Result<Option<Reader>, InventoryError> {
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(InventoryError::io(path, &e)),
            Ok(_) => {}
        }
        tighten_companions(path);
        connect(path).map(|c| Some(Reader::new(c, path.to_path_buf())))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A reader on its own connection.
    pub fn reader(&self) -> Result<Reader, InventoryError> {
        connect(&self.path).map(|c| Reader::new(c, self.path.clone()))
    }

    /// Record what `scope`'s contexts answer.
    pub fn recorder(&self, scope: Scope) -> Recorder {
        self.recorder.recorder(scope)
    }

    /// Wait (at most `timeout`) for everything recorded so far to be written, then stop the
    /// writer. Says what could not be written.
    pub fn close(self, timeout: Duration) -> CloseReport {
        self.recorder.close(timeout)
    }

    /// Which account a run calling with key `caller_key_id` at `base_url` acts for: the
    /// account whose own list has shown that key, else a new one named after it.
    pub fn scope_for(&self, base_url: &str, caller_key_id: &str) -> Result<Scope, InventoryError> {
        let account = self.reader()?.account_of(base_url, caller_key_id)?;
        Ok(Scope {
            base_url: base_url.to_owned(),
            account: account.unwrap_or_else(|| format!("key:{caller_key_id}")),
        })
    }
}

/// Remove the inventory and its WAL companions. Returns whether there was anything.
pub fn remove(path: &Path) -> Result<bool, InventoryError> {
    let mut any = false;
    for p in [
        path.to_path_buf(),
        companion(path, "-wal"),
        companion(path, "-shm"),
    ] {
        match std::fs::remove_file(&p) {
            Ok(()) => any = true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(InventoryError::io(&p, &e)),
        }
    }
    Ok(any)
}

/// `path` with `suffix` appended (`inventory.sqlite-wal`).
fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Create the file 0600 (its directory 0700) before SQLite opens it, so it never exists with
/// looser permissions; an existing one (and its -wal, -shm) readable by others is tightened.
fn prepare_file(path: &Path) -> Result<(), InventoryError> {
    let (_, tightened) =
        crate::fsutil::create_private_append(path).map_err(|e| InventoryError::io(path, &e))?;
    if let Some(w) = tightened {
        tracing::warn!("inventory: {w}");
    }
    tighten_companions(path);
    Ok(())
}

/// SQLite gives the -wal and -shm files the database file's mode; tighten ones left looser
/// (by a copy, an older tool).
fn tighten_companions(path: &Path) {
    #[cfg(unix)]
    for p in [companion(path, "-wal"), companion(path, "-shm")] {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::symlink_metadata(&p)
            && m.is_file()
            && m.permissions().mode() & 0o077 != 0
        {
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// A connection with the inventory's settings, its schema brought up to date.
fn connect(path: &Path) -> Result<Connection, InventoryError> {
    let err = |e: rusqlite::Error| InventoryError::from_sqlite(path, &e);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let mut conn = Connection::open_with_flags(path, flags).map_err(err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    // WAL: readers never wait for the writer; NORMAL: a commit is durable once checkpointed,
    // and a crash loses at most the last commits, never the file.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!("inventory: journal mode is {mode}, not WAL");
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(err)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(err)?;
    match schema::migrate(&mut conn).map_err(err)? {
        schema::Migrated::From(_) => Ok(conn),
        schema::Migrated::TooNew(found) => Err(InventoryError::TooNew {
            path: path.to_path_buf(),
            found,
            known: schema::VERSION,
        }),
    }
}

#[cfg(test)]
mod tests;
