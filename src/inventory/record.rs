//! Writing the inventory: a [`Recorder`] turns answers into messages (stamped with the time
//! they arrived) for one thread that owns the writing connection and commits whatever has
//! arrived in one transaction. Recording never blocks the caller, and never fails it: what
//! cannot be written is counted and said once, when the inventory is closed.
//!
//! A second sgkeys process writing at the same time: each attempt waits the busy timeout, and
//! the batch is tried again until it is written or the inventory is closed.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{Millis, Place, Scope, now_ms};

mod apply;

use apply::apply;

/// What gave a key's name and scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `GET /v3/api_keys/{id}`.
    Detail,
    /// sgkeys created it (the answer to the create).
    Create,
    /// sgkeys set its scopes (the answer to the update).
    SetScopes,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Detail => "detail",
            Source::Create => "create",
            Source::SetScopes => "set_scopes",
        }
    }
}

/// One thing to write.
#[derive(Debug)]
pub(crate) enum Msg {
    /// A list read: `complete` when it was asked for every key (no `limit`) and answered.
    List {
        place: Place,
        at: Millis,
        keys: Vec<(String, String)>,
        complete: bool,
        sweep: Option<i64>,
    },
    ListFailed {
        place: Place,
        at: Millis,
        error: String,
    },
    /// A key read in detail (or answered by sgkeys' own write): name and scopes.
    Detail {
        place: Place,
        at: Millis,
        id: String,
        name: String,
        scopes: Vec<String>,
        source: &'static str,
    },
    /// A key renamed by sgkeys (the answer has no scopes).
    Named {
        place: Place,
        at: Millis,
        id: String,
        name: String,
    },
    /// `404` for a key in a context, or sgkeys revoked it (`everywhere`: the key is deleted,
    /// so gone from every context that showed it).
    Gone {
        place: Place,
        at: Millis,
        id: String,
        how: &'static str,
        everywhere: bool,
    },
    SweepStart {
        id: i64,
        kind: String,
        at: Millis,
    },
    SweepContext {
        id: i64,
        place: Place,
        region: Option<String>,
    },
    SweepEnd {
        id: i64,
        at: Millis,
        state: &'static str,
    },
    /// Write what came before, then answer (and stop when `stop`).
    Flush {
        reply: Sender<()>,
        stop: bool,
    },
}

/// What could not be written, said when the inventory is closed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CloseReport {
    /// Answers that did not reach the file.
    pub unrecorded: usize,
    /// The first reason.
    pub error: Option<String>,
}

impl CloseReport {
    /// A warning for stderr, when something was lost.
    pub fn warning(&self, path: &std::path::Path) -> Option<String> {
        (self.unrecorded > 0).then(|| {
            format!(
                "the inventory {} did not record the last {} answer(s): {}",
                path.display(),
                self.unrecorded,
                self.error.as_deref().unwrap_or("it was still busy")
            )
        })
    }
}

#[derive(Debug, Default)]
struct Status {
    failed: usize,
    error: Option<String>,
}

/// Sends answers to the inventory's writer. Cheap to clone; every method returns at once.
#[derive(Clone)]
pub struct Recorder {
    tx: Sender<Msg>,
    scope: Arc<Scope>,
    path: Arc<PathBuf>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// A reader of the same inventory, on its own connection (what was recorded and not yet
    /// written is not in it: [`Recorder::flush`] first when that matters).
    pub fn reader(&self) -> Result<super::Reader, super::InventoryError> {
        super::connect(&self.path).map(|c| super::Reader::new(c, self.path.to_path_buf()))
    }

    fn send(&self, m: Msg) {
        // The writer is gone only after close: nothing is recorded after that.
        let _ = self.tx.send(m);
    }

    /// A list read's answer: `(id, name)` of each key; `complete` when it was asked for every
    /// key (no limit): then a key it lacks is gone.
    pub fn list(
        &self,
        place: &Place,
        keys: Vec<(String, String)>,
        complete: bool,
        sweep: Option<i64>,
    ) {
        self.send(Msg::List {
            place: place.clone(),
            at: now_ms(),
            keys,
            complete,
            sweep,
        });
    }

    /// A list read that failed (it proves nothing: only said).
    pub fn list_failed(&self, place: &Place, error: String) {
        self.send(Msg::ListFailed {
            place: place.clone(),
            at: now_ms(),
            error,
        });
    }

    /// A key's name and scopes as an answer gave them: a key read (`Source::Detail`), or
    /// sgkeys' own create or scope change.
    pub fn detail(&self, place: &Place, id: &str, name: &str, scopes: &[String], source: Source) {
        self.send(Msg::Detail {
            place: place.clone(),
            at: now_ms(),
            id: id.to_owned(),
            name: name.to_owned(),
            scopes: scopes.to_vec(),
            source: source.as_str(),
        });
    }

    /// A key renamed by sgkeys.
    pub fn renamed(&self, place: &Place, id: &str, name: &str) {
        self.send(Msg::Named {
            place: place.clone(),
            at: now_ms(),
            id: id.to_owned(),
            name: name.to_owned(),
        });
    }

    /// A key not in `place` (404 on reading or revoking it there).
    pub fn not_found(&self, place: &Place, id: &str) {
        self.send(Msg::Gone {
            place: place.clone(),
            at: now_ms(),
            id: id.to_owned(),
            how: "not_found",
            everywhere: false,
        });
    }

    /// A key sgkeys revoked (SendGrid confirmed): deleted, so gone from every context that
    /// showed it.
    pub fn revoked(&self, place: &Place, id: &str) {
        self.send(Msg::Gone {
            place: place.clone(),
            at: now_ms(),
            id: id.to_owned(),
            how: "revoked",
            everywhere: true,
        });
    }

    /// Start a sweep (`kind`: the command, e.g. `audit`); returns its id for
    /// [`Recorder::sweep_context`] and [`Recorder::sweep_end`].
    pub fn sweep_start(&self, kind: &str) -> i64 {
        use rand::Rng;
        let id = rand::rng().random_range(1..i64::MAX);
        self.send(Msg::SweepStart {
            id,
            kind: kind.to_owned(),
            at: now_ms(),
        });
        id
    }

    /// A context the sweep covers (and the region its calls go to, when known).
    pub fn sweep_context(&self, sweep: i64, place: &Place, region: Option<&str>) {
        self.send(Msg::SweepContext {
            id: sweep,
            place: place.clone(),
            region: region.map(str::to_owned),
        });
    }

    /// How the sweep ended: `finished` (every context and key answered), `incomplete`, or
    /// `interrupted`.
    pub fn sweep_end(&self, sweep: i64, state: &'static str) {
        self.send(Msg::SweepEnd {
            id: sweep,
            at: now_ms(),
            state,
        });
    }

    /// Wait until everything sent before is written (or `timeout`); false on timeout.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (reply, rx) = std::sync::mpsc::channel();
        self.send(Msg::Flush { reply, stop: false });
        rx.recv_timeout(timeout).is_ok()
    }
}

/// The writing thread's handle.
pub(crate) struct Writer {
    tx: Sender<Msg>,
    status: Arc<Mutex<Status>>,
    path: Arc<PathBuf>,
}

impl Writer {
    pub(crate) fn start(conn: Connection, path: PathBuf) -> Writer {
        let (tx, rx) = std::sync::mpsc::channel();
        let status = Arc::new(Mutex::new(Status::default()));
        let st = Arc::clone(&status);
        let shared = Arc::new(path.clone());
        let spawned = std::thread::Builder::new()
            .name("sgkeys-inventory".into())
            .spawn(move || run(conn, rx, &st, &path));
        if let Err(e) = spawned {
            let mut s = status.lock().unwrap_or_else(|p| p.into_inner());
            s.error = Some(format!("cannot start the inventory writer: {e}"));
        }
        Writer {
            tx,
            status,
            path: shared,
        }
    }

    pub(crate) fn recorder(&self, scope: Scope) -> Recorder {
        Recorder {
            tx: self.tx.clone(),
            scope: Arc::new(scope),
            path: Arc::clone(&self.path),
        }
    }

    pub(crate) fn close(self, timeout: Duration) -> CloseReport {
        let (reply, rx) = std::sync::mpsc::channel();
        let sent = self.tx.send(Msg::Flush { reply, stop: true }).is_ok();
        let finished = sent && rx.recv_timeout(timeout).is_ok();
        let s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        let mut report = CloseReport {
            unrecorded: s.failed,
            error: s.error.clone(),
        };
        if !finished {
            // still waiting for another process: what is queued is not written by now
            report.unrecorded = report.unrecorded.max(1);
            report.error.get_or_insert_with(|| {
                "another sgkeys process is holding it (busy); they are lost".into()
            });
        }
        report
    }
}

/// Most messages committed in one transaction.
const BATCH: usize = 20_000;

fn run(mut conn: Connection, rx: Receiver<Msg>, status: &Mutex<Status>, path: &std::path::Path) {
    let mut ids: HashMap<Place, i64> = HashMap::new();
    let mut batch: Vec<Msg> = Vec::new();
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let mut flushes = Vec::new();
        let mut writes = Vec::new();
        for m in batch.drain(..) {
            match m {
                Msg::Flush { reply, stop } => flushes.push((reply, stop)),
                other => writes.push(other),
            }
        }
        if !writes.is_empty() {
            write_batch(&mut conn, &mut ids, &writes, status, path);
        }
        if flushes.iter().any(|(_, stop)| *stop) {
            // closed before answering: the last connection's close folds the WAL back into
            // the file and removes it, so the next open does not read it again
            drop(conn);
            for (reply, _) in flushes {
                let _ = reply.send(());
            }
            return;
        }
        for (reply, _) in flushes {
            let _ = reply.send(());
        }
    }
}

/// Commit `writes` in one transaction; a busy file is tried again (each try waits the busy
/// timeout) for up to a minute, then the batch is counted as lost.
fn write_batch(
    conn: &mut Connection,
    ids: &mut HashMap<Place, i64>,
    writes: &[Msg],
    status: &Mutex<Status>,
    path: &std::path::Path,
) {
    let started = Instant::now();
    loop {
        let result = (|| -> rusqlite::Result<()> {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for m in writes {
                apply(&tx, ids, m)?;
            }
            tx.commit()
        })();
        match result {
            Ok(()) => return,
            Err(e) => {
                // ids cached during a transaction that rolled back may not exist
                ids.clear();
                let busy = matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                );
                if busy && started.elapsed() < Duration::from_secs(60) {
                    continue;
                }
                let err = super::InventoryError::from_sqlite(path, &e).to_string();
                tracing::warn!("{err}");
                let mut s = status.lock().unwrap_or_else(|p| p.into_inner());
                s.failed += writes.len();
                s.error.get_or_insert(err);
                return;
            }
        }
    }
}
