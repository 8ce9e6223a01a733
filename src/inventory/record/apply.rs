//! What each message does to the tables, in the writer's transaction: a list read, a key
//! read, a rename, a revoke, a key found gone, a sweep's start and end, and the thinning of
//! old list reads.

use super::*;

pub(super) fn apply(
    tx: &Transaction<'_>,
    ids: &mut HashMap<Place, i64>,
    m: &Msg,
) -> rusqlite::Result<()> {
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
