//! The inventory's schema, built by ordered steps: a new file goes through every step, an old
//! file through the ones it has not had yet (its `PRAGMA user_version` says how many). Each step
//! and its version bump commit together, so a crash mid-migration leaves the old version.
//!
//! Never change a step once released: add the next one.

use rusqlite::Connection;

/// Step `n` (1-based) brings a file from version `n - 1` to `n`.
pub(crate) const STEPS: &[&str] = &[
    // 1: what was seen: contexts, keys, and each key's history
    "
    CREATE TABLE contexts (
        id INTEGER PRIMARY KEY,
        -- the configured API host (the demo's: 'demo'), as the journal names it
        base_url TEXT NOT NULL,
        -- the calling account: 'key:' and the id of a key of that account
        account TEXT NOT NULL,
        -- '' for the account itself, else the on-behalf-of value (a subuser, 'account-id N')
        on_behalf_of TEXT NOT NULL DEFAULT '',
        region TEXT,
        first_read_at INTEGER NOT NULL,
        -- the last complete list read (every key of the context answered at once)
        list_read_at INTEGER,
        -- the last list read tried, and why it failed (NULL when it did not)
        list_tried_at INTEGER,
        list_error TEXT,
        UNIQUE (base_url, account, on_behalf_of)
    );
    CREATE TABLE keys (
        context_id INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
        key_id TEXT NOT NULL,
        name TEXT NOT NULL,
        -- space-separated, sorted; NULL: never read in detail (the scopes are unknown)
        scopes TEXT,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        detail_read_at INTEGER,
        gone_at INTEGER,
        -- 'list' (absent from a complete list), 'not_found' (404), 'revoked' (by sgkeys)
        gone_how TEXT,
        -- 'list', 'detail', 'created' (by sgkeys)
        first_seen_how TEXT NOT NULL,
        PRIMARY KEY (context_id, key_id)
    ) WITHOUT ROWID;
    CREATE INDEX keys_by_key_id ON keys (key_id, last_seen);
    CREATE INDEX keys_by_first_seen ON keys (context_id, first_seen);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        context_id INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
        key_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        -- 'first_seen', 'renamed', 'scopes', 'gone', 'back'
        kind TEXT NOT NULL,
        -- what showed it: 'list', 'detail', 'not_found', or sgkeys' own write: 'create',
        -- 'rename', 'set_scopes', 'revoke'
        source TEXT NOT NULL,
        name TEXT,
        name_before TEXT,
        -- the scopes granted (those SendGrid assigns by itself left out), space-separated
        scopes TEXT,
        scopes_before TEXT
    );
    CREATE INDEX events_by_key ON events (key_id, at);
    CREATE INDEX events_by_context ON events (context_id, at);
    ",
    // 2: when each context was read, and the sweeps that read many
    "
    CREATE TABLE list_reads (
        context_id INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        complete INTEGER NOT NULL,
        keys INTEGER NOT NULL,
        sweep_id INTEGER
    );
    CREATE INDEX list_reads_by_context ON list_reads (context_id, at);
    CREATE TABLE sweeps (
        id INTEGER PRIMARY KEY,
        -- 'audit', 'list-scopes', ...
        kind TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        -- 'running', 'finished' (every context and key answered), 'incomplete', 'interrupted'
        state TEXT NOT NULL,
        pid INTEGER NOT NULL
    );
    CREATE TABLE sweep_contexts (
        sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
        context_id INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
        PRIMARY KEY (sweep_id, context_id)
    ) WITHOUT ROWID;
    ",
    // 3: each distinct scope set stored once (a Full Access key's 200 scope names were stored
    // per key and per history row: 18 MiB for 10 000 keys, 1.9 MiB after)
    "
    CREATE TABLE scope_sets (
        id INTEGER PRIMARY KEY,
        -- space-separated, sorted ('' : the answer said none)
        scopes TEXT NOT NULL UNIQUE
    );
    INSERT OR IGNORE INTO scope_sets (scopes)
        SELECT scopes FROM keys WHERE scopes IS NOT NULL
        UNION SELECT scopes FROM events WHERE scopes IS NOT NULL
        UNION SELECT scopes_before FROM events WHERE scopes_before IS NOT NULL;
    ALTER TABLE keys ADD COLUMN scopes_id INTEGER REFERENCES scope_sets(id);
    UPDATE keys SET scopes_id = (SELECT id FROM scope_sets s WHERE s.scopes = keys.scopes)
        WHERE scopes IS NOT NULL;
    ALTER TABLE keys DROP COLUMN scopes;
    ALTER TABLE events ADD COLUMN scopes_id INTEGER REFERENCES scope_sets(id);
    ALTER TABLE events ADD COLUMN scopes_before_id INTEGER REFERENCES scope_sets(id);
    UPDATE events SET
        scopes_id = (SELECT id FROM scope_sets s WHERE s.scopes = events.scopes),
        scopes_before_id = (SELECT id FROM scope_sets s WHERE s.scopes = events.scopes_before);
    ALTER TABLE events DROP COLUMN scopes;
    ALTER TABLE events DROP COLUMN scopes_before;
    ",
];

/// The version this build writes.
pub(crate) const VERSION: i64 = STEPS.len() as i64;

/// What [`migrate`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Migrated {
    /// Already current (or brought up to date from this old version).
    From(i64),
    /// Written by a newer sgkeys: left alone.
    TooNew(i64),
}

/// Bring the file up to [`VERSION`] through the steps it lacks (`upto` for tests: stop there).
pub(crate) fn migrate_to(conn: &mut Connection, upto: i64) -> rusqlite::Result<Migrated> {
    // up to date: no lock taken (a reader never waits for a writer here)
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current >= upto {
        return Ok(if current > VERSION {
            Migrated::TooNew(current)
        } else {
            Migrated::From(current)
        });
    }
    // BEGIN IMMEDIATE: two processes opening a new file do not both build it.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > VERSION {
        return Ok(Migrated::TooNew(version));
    }
    for (i, step) in STEPS.iter().enumerate().take(upto as usize) {
        let n = i as i64 + 1;
        if n > version {
            tx.execute_batch(step)?;
            tx.pragma_update(None, "user_version", n)?;
        }
    }
    tx.commit()?;
    Ok(Migrated::From(version))
}

/// [`migrate_to`] the current version.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<Migrated> {
    migrate_to(conn, VERSION)
}
