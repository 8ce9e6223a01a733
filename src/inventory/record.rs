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

fn apply(tx: &Transaction<'_>, ids: &mut HashMap<Place, i64>, m: &Msg) -> rusqlite::Result<()> {
    match m {
        Msg::List {
            place,
            at,
            keys,
            complete,
            sweep,
        } => {
            let ctx = context_id(tx, ids, place, *at)?;
            apply_list(tx, ctx, *at, keys, *complete, *sweep)
        }
        Msg::ListFailed { place, at, error } => {
            if let Some(ctx) = find_context(tx, ids, place)? {
                tx.execute(
                    "UPDATE contexts SET list_tried_at = ?2, list_error = ?3 WHERE id = ?1",
                    params![ctx, at, error],
                )?;
            }
            Ok(())
        }
        Msg::Detail {
            place,
            at,
            id,
            name,
            scopes,
            source,
        } => {
            let ctx = context_id(tx, ids, place, *at)?;
            let mut sorted: Vec<&str> = scopes.iter().map(String::as_str).collect();
            sorted.sort_unstable();
            sorted.dedup();
            let scopes = sorted.join(" ");
            seen(tx, ctx, *at, id, name, Some(&scopes), source)
        }
        Msg::Named {
            place,
            at,
            id,
            name,
        } => {
            let ctx = context_id(tx, ids, place, *at)?;
            seen(tx, ctx, *at, id, name, None, "rename")
        }
        Msg::Gone {
            place,
            at,
            id,
            how,
            everywhere,
        } => {
            let contexts: Vec<i64> = if *everywhere {
                let mut st = tx.prepare_cached(
                    "SELECT context_id FROM keys WHERE key_id = ?1 AND gone_at IS NULL",
                )?;
                st.query_map([id], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            } else {
                find_context(tx, ids, place)?.into_iter().collect()
            };
            let source = if *how == "revoked" { "revoke" } else { *how };
            for ctx in contexts {
                mark_gone(tx, ctx, *at, id, how, source)?;
            }
            Ok(())
        }
        Msg::SweepStart { id, kind, at } => {
            tx.execute(
                "INSERT OR IGNORE INTO sweeps (id, kind, started_at, state, pid)
                 VALUES (?1, ?2, ?3, 'running', ?4)",
                params![id, kind, at, std::process::id()],
            )?;
            Ok(())
        }
        Msg::SweepContext { id, place, region } => {
            let ctx = context_id(tx, ids, place, now_ms())?;
            if let Some(r) = region {
                tx.execute(
                    "UPDATE contexts SET region = ?2 WHERE id = ?1",
                    params![ctx, r],
                )?;
            }
            tx.execute(
                "INSERT OR IGNORE INTO sweep_contexts (sweep_id, context_id) VALUES (?1, ?2)",
                params![id, ctx],
            )?;
            Ok(())
        }
        Msg::SweepEnd { id, at, state } => {
            tx.execute(
                "UPDATE sweeps SET finished_at = ?2, state = ?3 WHERE id = ?1",
                params![id, at, state],
            )?;
            Ok(())
        }
        Msg::Flush { .. } => Ok(()),
    }
}

fn find_context(
    tx: &Transaction<'_>,
    ids: &mut HashMap<Place, i64>,
    place: &Place,
) -> rusqlite::Result<Option<i64>> {
    if let Some(id) = ids.get(place) {
        return Ok(Some(*id));
    }
    let id: Option<i64> = tx
        .prepare_cached(
            "SELECT id FROM contexts WHERE base_url = ?1 AND account = ?2 AND on_behalf_of = ?3",
        )?
        .query_row(
            params![
                place.base_url,
                place.account,
                place.on_behalf_of.as_deref().unwrap_or("")
            ],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = id {
        ids.insert(place.clone(), id);
    }
    Ok(id)
}

fn context_id(
    tx: &Transaction<'_>,
    ids: &mut HashMap<Place, i64>,
    place: &Place,
    at: Millis,
) -> rusqlite::Result<i64> {
    if let Some(id) = find_context(tx, ids, place)? {
        return Ok(id);
    }
    tx.execute(
        "INSERT INTO contexts (base_url, account, on_behalf_of, first_read_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            place.base_url,
            place.account,
            place.on_behalf_of.as_deref().unwrap_or(""),
            at
        ],
    )?;
    let id = tx.last_insert_rowid();
    ids.insert(place.clone(), id);
    Ok(id)
}

/// What the inventory holds for one key of a context.
struct Stored {
    name: String,
    scopes: Option<String>,
    gone: bool,
}

fn stored(tx: &Transaction<'_>, ctx: i64, id: &str) -> rusqlite::Result<Option<Stored>> {
    tx.prepare_cached(
        "SELECT k.name, s.scopes, k.gone_at IS NOT NULL
         FROM keys k LEFT JOIN scope_sets s ON s.id = k.scopes_id
         WHERE k.context_id = ?1 AND k.key_id = ?2",
    )?
    .query_row(params![ctx, id], |r| {
        Ok(Stored {
            name: r.get(0)?,
            scopes: r.get(1)?,
            gone: r.get(2)?,
        })
    })
    .optional()
}

/// One history row.
#[allow(clippy::too_many_arguments)]
fn event(
    tx: &Transaction<'_>,
    ctx: i64,
    id: &str,
    at: Millis,
    kind: &str,
    source: &str,
    name: Option<&str>,
    name_before: Option<&str>,
    scopes: Option<&str>,
    scopes_before: Option<&str>,
) -> rusqlite::Result<()> {
    let scopes = scopes.map(|s| set_id(tx, s)).transpose()?;
    let scopes_before = scopes_before.map(|s| set_id(tx, s)).transpose()?;
    tx.prepare_cached(
        "INSERT INTO events (context_id, key_id, at, kind, source, name, name_before, scopes_id, scopes_before_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![ctx, id, at, kind, source, name, name_before, scopes, scopes_before])?;
    Ok(())
}

/// The id of a scope set (space-separated, sorted), stored once.
fn set_id(tx: &Transaction<'_>, scopes: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached("INSERT OR IGNORE INTO scope_sets (scopes) VALUES (?1)")?
        .execute([scopes])?;
    tx.prepare_cached("SELECT id FROM scope_sets WHERE scopes = ?1")?
        .query_row([scopes], |r| r.get(0))
}

/// A key answered (by a list, a detail read, or sgkeys' own write): first seen, renamed,
/// scopes changed, or back after being gone, each a history row. `scopes`: `None` when the
/// answer did not say them (a list, a rename).
fn seen(
    tx: &Transaction<'_>,
    ctx: i64,
    at: Millis,
    id: &str,
    name: &str,
    scopes: Option<&str>,
    source: &str,
) -> rusqlite::Result<()> {
    let Some(old) = stored(tx, ctx, id)? else {
        let set = scopes.map(|s| set_id(tx, s)).transpose()?;
        tx.prepare_cached(
            "INSERT INTO keys (context_id, key_id, name, scopes_id, first_seen, last_seen, detail_read_at, first_seen_how)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)",
        )?
        .execute(params![
            ctx,
            id,
            name,
            set,
            at,
            scopes.map(|_| at),
            first_how(source)
        ])?;
        return event(
            tx,
            ctx,
            id,
            at,
            "first_seen",
            source,
            Some(name),
            None,
            scopes.map(granted).as_deref(),
            None,
        );
    };
    if old.gone {
        event(
            tx,
            ctx,
            id,
            at,
            "back",
            source,
            Some(name),
            None,
            None,
            None,
        )?;
    }
    if old.name != name {
        event(
            tx,
            ctx,
            id,
            at,
            "renamed",
            source,
            Some(name),
            Some(&old.name),
            None,
            None,
        )?;
    }
    // scopes SendGrid assigns by itself come and go between answers (a create's answer
    // lacks them, a read has them): not a change
    if let (Some(before), Some(now)) = (old.scopes.as_deref(), scopes)
        && granted(before) != granted(now)
    {
        event(
            tx,
            ctx,
            id,
            at,
            "scopes",
            source,
            Some(name),
            None,
            Some(&granted(now)),
            Some(&granted(before)),
        )?;
    }
    let set = scopes.map(|s| set_id(tx, s)).transpose()?;
    tx.prepare_cached(
        "UPDATE keys SET name = ?3, last_seen = max(last_seen, ?4), gone_at = NULL, gone_how = NULL,
             scopes_id = coalesce(?5, scopes_id),
             detail_read_at = CASE WHEN ?5 IS NULL THEN detail_read_at ELSE ?4 END
         WHERE context_id = ?1 AND key_id = ?2",
    )?
    .execute(params![ctx, id, name, at, set])?;
    Ok(())
}

/// The scopes granted (those SendGrid assigns by itself left out), as stored: history rows
/// hold these.
fn granted(scopes: &str) -> String {
    scopes
        .split_whitespace()
        .filter(|x| !crate::scopes::is_auto_assigned(x))
        .collect::<Vec<_>>()
        .join(" ")
}

fn first_how(source: &str) -> &'static str {
    match source {
        "list" => "list",
        "create" => "created",
        _ => "detail",
    }
}

fn mark_gone(
    tx: &Transaction<'_>,
    ctx: i64,
    at: Millis,
    id: &str,
    how: &str,
    source: &str,
) -> rusqlite::Result<()> {
    let changed = tx
        .prepare_cached(
            "UPDATE keys SET gone_at = ?3, gone_how = ?4
             WHERE context_id = ?1 AND key_id = ?2 AND gone_at IS NULL",
        )?
        .execute(params![ctx, id, at, how])?;
    if changed > 0 {
        let name: Option<String> = tx
            .prepare_cached("SELECT name FROM keys WHERE context_id = ?1 AND key_id = ?2")?
            .query_row(params![ctx, id], |r| r.get(0))
            .optional()?;
        event(
            tx,
            ctx,
            id,
            at,
            "gone",
            source,
            name.as_deref(),
            None,
            None,
            None,
        )?;
    }
    Ok(())
}

fn apply_list(
    tx: &Transaction<'_>,
    ctx: i64,
    at: Millis,
    keys: &[(String, String)],
    complete: bool,
    sweep: Option<i64>,
) -> rusqlite::Result<()> {
    for (id, name) in keys {
        seen(tx, ctx, at, id, name, None, "list")?;
    }
    if complete {
        // only a complete read proves a key is gone; one seen after this answer (created
        // while it was on its way) is not
        let listed: HashSet<&str> = keys.iter().map(|(id, _)| id.as_str()).collect();
        let missing: Vec<String> = {
            let mut st = tx.prepare_cached(
                "SELECT key_id FROM keys WHERE context_id = ?1 AND gone_at IS NULL AND last_seen < ?2",
            )?;
            st.query_map(params![ctx, at], |r| r.get::<_, String>(0))?
                .filter(|r| r.as_ref().map_or(true, |id| !listed.contains(id.as_str())))
                .collect::<rusqlite::Result<_>>()?
        };
        for id in missing {
            mark_gone(tx, ctx, at, &id, "list", "list")?;
        }
        tx.execute(
            "UPDATE contexts SET list_read_at = ?2, list_tried_at = ?2, list_error = NULL WHERE id = ?1",
            params![ctx, at],
        )?;
    } else {
        tx.execute(
            "UPDATE contexts SET list_tried_at = ?2, list_error = NULL WHERE id = ?1",
            params![ctx, at],
        )?;
    }
    tx.prepare_cached(
        "INSERT INTO list_reads (context_id, at, complete, keys, sweep_id) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![ctx, at, complete, keys.len() as i64, sweep])?;
    thin_list_reads(tx, ctx, at)
}

const HOUR: Millis = 3_600_000;
const DAY: Millis = 24 * HOUR;

/// Keep a context's `list_reads` bounded (the dashboard reads a list every minute: 1 440 rows a
/// day): every read of the last day; before that, only complete reads, the last of each hour
/// for 30 days and the last of each day before, and always the first complete read. What
/// `audit --since` asks of them stays true: a complete read at or before a time (the baseline
/// may be up to an hour older than the read it replaces, never newer), and the first.
fn thin_list_reads(tx: &Transaction<'_>, ctx: i64, now: Millis) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "DELETE FROM list_reads WHERE context_id = ?1 AND at < ?2 - ?3
         AND rowid NOT IN (
             SELECT max(rowid) FROM list_reads
             WHERE context_id = ?1 AND complete = 1 AND at < ?2 - ?3
             GROUP BY CASE WHEN at >= ?2 - 30 * ?3 THEN at / ?4 ELSE -(at / ?3) - 1 END)
         AND rowid NOT IN (
             SELECT rowid FROM list_reads WHERE context_id = ?1 AND complete = 1
             ORDER BY at LIMIT 1)",
    )?
    .execute(params![ctx, now, DAY, HOUR])?;
    Ok(())
}
