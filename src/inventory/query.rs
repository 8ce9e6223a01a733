//! Reading the inventory: a context's keys with the age of each answer (streamed row by row,
//! so 10 000 keys never sit in memory twice), where a key id was last seen (one indexed query:
//! the leaked-key lookup), the keys of a context first seen since a time and the complete reads
//! before it (the persistence check's baseline), sweeps, and each key's history.

use std::path::PathBuf;

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{InventoryError, Millis, Place};

/// One context as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextRow {
    pub id: i64,
    pub base_url: String,
    pub account: String,
    /// `None`: the account itself.
    pub on_behalf_of: Option<String>,
    pub region: Option<String>,
    pub first_read_at: Millis,
    /// The last complete list read.
    pub list_read_at: Option<Millis>,
    /// The last list read tried, and why it failed.
    pub list_tried_at: Option<Millis>,
    pub list_error: Option<String>,
}

impl ContextRow {
    /// `acme-eu` or `own account`.
    pub fn label(&self) -> &str {
        self.on_behalf_of.as_deref().unwrap_or("own account")
    }

    pub fn place(&self) -> Place {
        Place {
            base_url: self.base_url.clone(),
            account: self.account.clone(),
            on_behalf_of: self.on_behalf_of.clone(),
        }
    }
}

/// One key of a context as recorded; its scopes as names (`S` is what
/// [`Reader::snapshot_decoded`] decodes them to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow<S = Arc<[String]>> {
    pub key_id: String,
    pub name: String,
    /// `None`: never read in detail (unknown, not "none"). Shared by the keys with the same
    /// scopes.
    pub scopes: Option<S>,
    pub first_seen: Millis,
    /// `list`, `detail` or `created` (by sgkeys).
    pub first_seen_how: String,
    /// The last answer that showed it.
    pub last_seen: Millis,
    /// When its scopes were read.
    pub detail_read_at: Option<Millis>,
    pub gone_at: Option<Millis>,
    /// `list`, `not_found` or `revoked`.
    pub gone_how: Option<String>,
}

/// A context and its keys, each with the age of what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot<S = Arc<[String]>> {
    pub context: ContextRow,
    /// Keys not gone, in the order first seen.
    pub keys: Vec<KeyRow<S>>,
}

/// One history row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub context: Place,
    pub key_id: String,
    pub at: Millis,
    /// `first_seen`, `renamed`, `scopes`, `gone`, `back`.
    pub kind: String,
    /// `list`, `detail`, `not_found`, or sgkeys' write: `create`, `rename`, `set_scopes`,
    /// `revoke`.
    pub source: String,
    pub name: Option<String>,
    pub name_before: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub scopes_before: Option<Vec<String>>,
}

/// One sweep as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepRow {
    pub id: i64,
    pub kind: String,
    pub started_at: Millis,
    pub finished_at: Option<Millis>,
    /// `running`, `finished`, `incomplete`, `interrupted` (a run that died while running
    /// reads as `interrupted`).
    pub state: String,
}

/// Which history rows to read.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub key_id: Option<String>,
    pub since: Option<Millis>,
    /// Only contexts acting for this (`Some(None)`: the accounts themselves).
    pub on_behalf_of: Option<Option<String>>,
    /// Only this context (its [`ContextRow::id`]).
    pub context: Option<i64>,
}

/// A connection for reading.
pub struct Reader {
    pub(super) conn: Connection,
    path: PathBuf,
    /// Scope sets read so far, by id (each parsed once, shared by its keys).
    sets: std::cell::RefCell<HashMap<i64, Arc<[String]>>>,
}

pub(super) const CONTEXT_COLUMNS: &str = "id, base_url, account, on_behalf_of, region, first_read_at, \
                               list_read_at, list_tried_at, list_error";

pub(super) fn context_row(r: &Row<'_>) -> rusqlite::Result<ContextRow> {
    context_row_from(r, 0)
}

/// [`CONTEXT_COLUMNS`] starting at column `at`.
fn context_row_from(r: &Row<'_>, at: usize) -> rusqlite::Result<ContextRow> {
    let obo: String = r.get(at + 3)?;
    Ok(ContextRow {
        id: r.get(at)?,
        base_url: r.get(at + 1)?,
        account: r.get(at + 2)?,
        on_behalf_of: (!obo.is_empty()).then_some(obo),
        region: r.get(at + 4)?,
        first_read_at: r.get(at + 5)?,
        list_read_at: r.get(at + 6)?,
        list_tried_at: r.get(at + 7)?,
        list_error: r.get(at + 8)?,
    })
}

const KEY_COLUMNS: &str = "key_id, name, scopes_id, first_seen, first_seen_how, last_seen, \
                           detail_read_at, gone_at, gone_how";

/// A key row; its scope set (column 2 holds its id) is looked up by `set`.
fn key_row<S>(
    r: &Row<'_>,
    set: &dyn Fn(Option<i64>) -> rusqlite::Result<Option<S>>,
) -> rusqlite::Result<KeyRow<S>> {
    Ok(KeyRow {
        key_id: r.get(0)?,
        name: r.get(1)?,
        scopes: set(r.get(2)?)?,
        first_seen: r.get(3)?,
        first_seen_how: r.get(4)?,
        last_seen: r.get(5)?,
        detail_read_at: r.get(6)?,
        gone_at: r.get(7)?,
        gone_how: r.get(8)?,
    })
}

impl Reader {
    pub(crate) fn new(conn: Connection, path: PathBuf) -> Reader {
        Reader {
            conn,
            path,
            sets: Default::default(),
        }
    }

    /// Scope set `id` (`None`: never read), parsed once per reader.
    fn set(&self, id: Option<i64>) -> rusqlite::Result<Option<Arc<[String]>>> {
        let Some(id) = id else {
            return Ok(None);
        };
        if let Some(s) = self.sets.borrow().get(&id) {
            return Ok(Some(Arc::clone(s)));
        }
        let set: Arc<[String]> = self
            .set_text(id)?
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        self.sets.borrow_mut().insert(id, Arc::clone(&set));
        Ok(Some(set))
    }

    /// Scope set `id` as stored: its names separated by white space.
    fn set_text(&self, id: i64) -> rusqlite::Result<String> {
        self.conn
            .prepare_cached("SELECT scopes FROM scope_sets WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
    }

    fn key_row(&self, r: &Row<'_>) -> rusqlite::Result<KeyRow> {
        key_row(r, &|id| self.set(id))
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    pub(super) fn err(&self, e: &rusqlite::Error) -> InventoryError {
        InventoryError::from_sqlite(&self.path, e)
    }

    /// The account whose own list showed key `key_id` at `base_url` (most recently).
    pub fn account_of(
        &self,
        base_url: &str,
        key_id: &str,
    ) -> Result<Option<String>, InventoryError> {
        self.conn
            .query_row(
                "SELECT c.account FROM keys k JOIN contexts c ON c.id = k.context_id
                 WHERE k.key_id = ?1 AND c.base_url = ?2 AND c.on_behalf_of = ''
                 ORDER BY k.last_seen DESC LIMIT 1",
                params![key_id, base_url],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(&e))
    }

    /// Every context recorded, the accounts themselves first.
    pub fn contexts(&self) -> Result<Vec<ContextRow>, InventoryError> {
        let sql = format!(
            "SELECT {CONTEXT_COLUMNS} FROM contexts ORDER BY base_url, account, on_behalf_of"
        );
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(&e))?;
        st.query_map([], context_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(&e))
    }

    /// One context, if it was ever read.
    pub fn context(&self, place: &Place) -> Result<Option<ContextRow>, InventoryError> {
        let sql = format!(
            "SELECT {CONTEXT_COLUMNS} FROM contexts
             WHERE base_url = ?1 AND account = ?2 AND on_behalf_of = ?3"
        );
        self.conn
            .query_row(
                &sql,
                params![
                    place.base_url,
                    place.account,
                    place.on_behalf_of.as_deref().unwrap_or("")
                ],
                context_row,
            )
            .optional()
            .map_err(|e| self.err(&e))
    }

    /// Each key of context `ctx` (gone ones too with `with_gone`), in the order first seen,
    /// handed to `f` one at a time.
    pub fn each_key(
        &self,
        ctx: i64,
        with_gone: bool,
        f: impl FnMut(KeyRow),
    ) -> Result<(), InventoryError> {
        self.each_key_with(ctx, with_gone, &|id| self.set(id), f)
    }

    /// [`Reader::each_key`], each key's scope set looked up by `set`.
    fn each_key_with<S>(
        &self,
        ctx: i64,
        with_gone: bool,
        set: &dyn Fn(Option<i64>) -> rusqlite::Result<Option<S>>,
        mut f: impl FnMut(KeyRow<S>),
    ) -> Result<(), InventoryError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM keys WHERE context_id = ?1 {} ORDER BY first_seen, key_id",
            if with_gone { "" } else { "AND gone_at IS NULL" }
        );
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(&e))?;
        let rows = st
            .query_map([ctx], |r| key_row(r, set))
            .map_err(|e| self.err(&e))?;
        for r in rows {
            f(r.map_err(|e| self.err(&e))?);
        }
        Ok(())
    }

    /// A context and its keys not gone, each with the age of what it shows; `None` when the
    /// context was never read.
    pub fn snapshot(&self, place: &Place) -> Result<Option<Snapshot>, InventoryError> {
        let Some(context) = self.context(place)? else {
            return Ok(None);
        };
        let mut keys = Vec::new();
        self.each_key(context.id, false, |k| keys.push(k))?;
        Ok(Some(Snapshot { context, keys }))
    }

    /// [`Reader::snapshot`] with each scope set decoded by `decode` from its names (as
    /// stored, in order), once per distinct set, its keys sharing clones of the result: no
    /// `String` per scope per key (the dashboard's first frame from 10 000 keys, each its own
    /// set of ~200 scopes, made and freed 2 million of them).
    pub fn snapshot_decoded<S: Clone>(
        &self,
        place: &Place,
        decode: impl Fn(&[&str]) -> S,
    ) -> Result<Option<Snapshot<S>>, InventoryError> {
        let Some(context) = self.context(place)? else {
            return Ok(None);
        };
        let decoded: std::cell::RefCell<HashMap<i64, S>> = Default::default();
        let set = |id: Option<i64>| -> rusqlite::Result<Option<S>> {
            let Some(id) = id else {
                return Ok(None);
            };
            if let Some(s) = decoded.borrow().get(&id) {
                return Ok(Some(s.clone()));
            }
            let text = self.set_text(id)?;
            let s = decode(&text.split_whitespace().collect::<Vec<_>>());
            decoded.borrow_mut().insert(id, s.clone());
            Ok(Some(s))
        };
        let mut keys = Vec::new();
        self.each_key_with(context.id, false, &set, |k| keys.push(k))?;
        Ok(Some(Snapshot { context, keys }))
    }

    /// One key of one context (gone or not).
    pub fn key(&self, place: &Place, key_id: &str) -> Result<Option<KeyRow>, InventoryError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM keys k JOIN contexts c ON c.id = k.context_id
             WHERE c.base_url = ?1 AND c.account = ?2 AND c.on_behalf_of = ?3 AND k.key_id = ?4"
        );
        self.conn
            .query_row(
                &sql,
                params![
                    place.base_url,
                    place.account,
                    place.on_behalf_of.as_deref().unwrap_or(""),
                    key_id
                ],
                |r| self.key_row(r),
            )
            .optional()
            .map_err(|e| self.err(&e))
    }

    /// Where key `key_id` was last seen: the context and the key as it was then (one indexed
    /// query; gone keys too, so the answer can say it is gone).
    pub fn last_sighting(
        &self,
        key_id: &str,
    ) -> Result<Option<(ContextRow, KeyRow)>, InventoryError> {
        self.last_sighting_where(key_id, None)
    }

    /// [`Reader::last_sighting`] among the contexts of one calling account (`scope`): where
    /// a run of that account can ask again.
    pub fn last_sighting_in(
        &self,
        scope: &super::Scope,
        key_id: &str,
    ) -> Result<Option<(ContextRow, KeyRow)>, InventoryError> {
        self.last_sighting_where(key_id, Some(scope))
    }

    fn last_sighting_where(
        &self,
        key_id: &str,
        scope: Option<&super::Scope>,
    ) -> Result<Option<(ContextRow, KeyRow)>, InventoryError> {
        let sql = format!(
            "SELECT {}, {} FROM keys k JOIN contexts c ON c.id = k.context_id
             WHERE k.key_id = ?1 AND (?2 IS NULL OR (c.base_url = ?2 AND c.account = ?3))
             ORDER BY k.last_seen DESC LIMIT 1",
            KEY_COLUMNS
                .split(", ")
                .map(|c| format!("k.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", "),
            CONTEXT_COLUMNS
                .split(", ")
                .map(|c| format!("c.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", "),
        );
        let (base, account) = scope.map_or((None, None), |s| {
            (Some(s.base_url.as_str()), Some(s.account.as_str()))
        });
        self.conn
            .query_row(&sql, params![key_id, base, account], |r| {
                Ok((context_row_from(r, 9)?, self.key_row(r)?))
            })
            .optional()
            .map_err(|e| self.err(&e))
    }

    /// Keys of context `ctx` first seen after `t` (gone since or not), oldest first.
    pub fn first_seen_after(&self, ctx: i64, t: Millis) -> Result<Vec<KeyRow>, InventoryError> {
        self.keys_after(ctx, "first_seen", t)
    }

    /// Keys of context `ctx` gone after `t`, in the order they went.
    pub fn gone_after(&self, ctx: i64, t: Millis) -> Result<Vec<KeyRow>, InventoryError> {
        self.keys_after(ctx, "gone_at", t)
    }

    /// Keys of context `ctx` whose time column `when` (a column name, never input) is after
    /// `t`, in its order.
    fn keys_after(
        &self,
        ctx: i64,
        when: &'static str,
        t: Millis,
    ) -> Result<Vec<KeyRow>, InventoryError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM keys WHERE context_id = ?1 AND {when} > ?2
             ORDER BY {when}, key_id"
        );
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(&e))?;
        st.query_map(params![ctx, t], |r| self.key_row(r))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(&e))
    }

    /// The first complete list read of context `ctx`.
    pub fn first_complete_read(&self, ctx: i64) -> Result<Option<Millis>, InventoryError> {
        self.complete_read(ctx, "min", Millis::MAX)
    }

    /// The last complete list read of context `ctx` at or before `t`.
    pub fn complete_read_before(
        &self,
        ctx: i64,
        t: Millis,
    ) -> Result<Option<Millis>, InventoryError> {
        self.complete_read(ctx, "max", t)
    }

    /// The `min` or `max` (`which`, never input) of the times of context `ctx`'s complete list
    /// reads at or before `t`.
    fn complete_read(
        &self,
        ctx: i64,
        which: &'static str,
        t: Millis,
    ) -> Result<Option<Millis>, InventoryError> {
        let sql = format!(
            "SELECT {which}(at) FROM list_reads WHERE context_id = ?1 AND complete = 1 AND at <= ?2"
        );
        self.conn
            .query_row(&sql, params![ctx, t], |r| r.get(0))
            .map_err(|e| self.err(&e))
    }

    /// The last sweep covering context `ctx` that finished (every context and key answered)
    /// at or before `t`.
    pub fn finished_sweep_before(
        &self,
        ctx: i64,
        t: Millis,
    ) -> Result<Option<SweepRow>, InventoryError> {
        self.conn
            .query_row(
                "SELECT s.id, s.kind, s.started_at, s.finished_at, s.state, s.pid
                 FROM sweeps s JOIN sweep_contexts sc ON sc.sweep_id = s.id
                 WHERE sc.context_id = ?1 AND s.state = 'finished' AND s.finished_at <= ?2
                 ORDER BY s.finished_at DESC LIMIT 1",
                params![ctx, t],
                sweep_row,
            )
            .optional()
            .map_err(|e| self.err(&e))
    }

    /// Sweeps, newest first (at most `limit`).
    pub fn sweeps(&self, limit: usize) -> Result<Vec<SweepRow>, InventoryError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, kind, started_at, finished_at, state, pid FROM sweeps
                 ORDER BY started_at DESC LIMIT ?1",
            )
            .map_err(|e| self.err(&e))?;
        st.query_map([limit as i64], sweep_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(&e))
    }

    /// History rows, oldest first.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<EventRow>, InventoryError> {
        let mut sql = String::from(
            "SELECT c.base_url, c.account, c.on_behalf_of, e.key_id, e.at, e.kind, e.source,
                    e.name, e.name_before, e.scopes_id, e.scopes_before_id
             FROM events e JOIN contexts c ON c.id = e.context_id WHERE 1 = 1",
        );
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(id) = &filter.key_id {
            args.push(Box::new(id.clone()));
            sql.push_str(&format!(" AND e.key_id = ?{}", args.len()));
        }
        if let Some(since) = filter.since {
            args.push(Box::new(since));
            sql.push_str(&format!(" AND e.at >= ?{}", args.len()));
        }
        if let Some(ctx) = filter.context {
            args.push(Box::new(ctx));
            sql.push_str(&format!(" AND e.context_id = ?{}", args.len()));
        }
        if let Some(obo) = &filter.on_behalf_of {
            args.push(Box::new(obo.clone().unwrap_or_default()));
            sql.push_str(&format!(" AND c.on_behalf_of = ?{}", args.len()));
        }
        sql.push_str(" ORDER BY e.at, e.id");
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(&e))?;
        let rows = st
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                let obo: String = r.get(2)?;
                Ok(EventRow {
                    context: Place {
                        base_url: r.get(0)?,
                        account: r.get(1)?,
                        on_behalf_of: (!obo.is_empty()).then_some(obo),
                    },
                    key_id: r.get(3)?,
                    at: r.get(4)?,
                    kind: r.get(5)?,
                    source: r.get(6)?,
                    name: r.get(7)?,
                    name_before: r.get(8)?,
                    scopes: self.set(r.get(9)?)?.map(|s| s.to_vec()),
                    scopes_before: self.set(r.get(10)?)?.map(|s| s.to_vec()),
                })
            })
            .map_err(|e| self.err(&e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(&e))
    }

    /// (contexts, keys not gone, keys gone).
    pub fn counts(&self) -> Result<(i64, i64, i64), InventoryError> {
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM contexts),
                        (SELECT count(*) FROM keys WHERE gone_at IS NULL),
                        (SELECT count(*) FROM keys WHERE gone_at IS NOT NULL)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| self.err(&e))
    }
}

pub(super) fn sweep_row(r: &Row<'_>) -> rusqlite::Result<SweepRow> {
    let mut state: String = r.get(4)?;
    let pid: i64 = r.get(5)?;
    if state == "running" && !alive(pid) {
        state = "interrupted".into();
    }
    Ok(SweepRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        started_at: r.get(2)?,
        finished_at: r.get(3)?,
        state,
    })
}

/// Whether process `pid` still runs (a sweep it left `running` is interrupted when not).
/// Where that cannot be told (no `/proc`), it is taken as running.
fn alive(pid: i64) -> bool {
    if pid == i64::from(std::process::id()) {
        return true;
    }
    let proc_dir = std::path::Path::new("/proc");
    if !proc_dir.join("self").exists() {
        return true;
    }
    proc_dir.join(pid.to_string()).exists()
}
