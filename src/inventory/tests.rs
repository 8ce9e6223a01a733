#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const WAIT: Duration = Duration::from_secs(10);

fn scope() -> Scope {
    Scope {
        base_url: "https://api.sendgrid.com".into(),
        account: "key:CALLER".into(),
    }
}

fn keys(k: &[(&str, &str)]) -> Vec<(String, String)> {
    k.iter()
        .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
        .collect()
}

fn detail(rec: &Recorder, place: &Place, id: &str, name: &str, scopes: &[&str]) {
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    rec.detail(place, id, name, &scopes, Source::Detail);
}

fn open() -> (tempfile::TempDir, Inventory, Recorder) {
    let dir = tempfile::tempdir().unwrap();
    let inv = Inventory::open(&dir.path().join("state/sgkeys/inventory.sqlite")).unwrap();
    let rec = inv.recorder(scope());
    (dir, inv, rec)
}

fn kinds(r: &Reader, id: &str) -> Vec<String> {
    r.events(&EventFilter {
        key_id: Some(id.into()),
        ..Default::default()
    })
    .unwrap()
    .into_iter()
    .map(|e| format!("{}:{}", e.kind, e.source))
    .collect()
}

#[test]
fn a_complete_list_marks_missing_keys_gone_and_a_partial_one_does_not() {
    let (_d, inv, rec) = open();
    let own = rec.scope().place(None);
    rec.list(&own, keys(&[("a", "alpha"), ("b", "beta")]), true, None);
    // a partial read (--limit) without b proves nothing
    rec.list(&own, keys(&[("a", "alpha")]), false, None);
    // nor does a failed one
    rec.list_failed(&own, "network error: down".into());
    assert!(rec.flush(WAIT));
    let r = inv.reader().unwrap();
    let snap = r.snapshot(&own).unwrap().unwrap();
    assert_eq!(snap.keys.len(), 2);
    assert_eq!(
        snap.context.list_error.as_deref(),
        Some("network error: down")
    );
    assert!(snap.context.list_read_at.is_some());
    // a complete read without b: gone
    rec.list(&own, keys(&[("a", "alpha 2")]), true, None);
    assert!(rec.flush(WAIT));
    let snap = r.snapshot(&own).unwrap().unwrap();
    assert_eq!(snap.keys.len(), 1);
    assert_eq!(snap.keys[0].name, "alpha 2");
    assert!(snap.context.list_error.is_none());
    let b = r.key(&own, "b").unwrap().unwrap();
    assert_eq!(b.gone_how.as_deref(), Some("list"));
    assert_eq!(kinds(&r, "a"), ["first_seen:list", "renamed:list"]);
    assert_eq!(kinds(&r, "b"), ["first_seen:list", "gone:list"]);
    // it comes back
    rec.list(&own, keys(&[("a", "alpha 2"), ("b", "beta")]), true, None);
    assert!(rec.flush(WAIT));
    assert_eq!(
        kinds(&r, "b"),
        ["first_seen:list", "gone:list", "back:list"]
    );
    assert!(r.key(&own, "b").unwrap().unwrap().gone_at.is_none());
}

#[test]
fn details_keep_scopes_and_their_changes_and_a_404_is_gone_in_that_context_only() {
    let (_d, inv, rec) = open();
    let own = rec.scope().place(None);
    let sub = rec.scope().place(Some("acme-eu".into()));
    rec.list(&own, keys(&[("a", "alpha")]), true, None);
    rec.list(&sub, keys(&[("a", "alpha")]), true, None);
    assert!(rec.flush(WAIT));
    let r = inv.reader().unwrap();
    let a = r.key(&own, "a").unwrap().unwrap();
    assert_eq!(a.scopes, None, "never read in detail: unknown");
    assert_eq!(a.detail_read_at, None);
    detail(
        &rec,
        &own,
        "a",
        "alpha",
        &["stats.read", "mail.send", "2fa_required"],
    );
    detail(&rec, &own, "a", "alpha", &["mail.send", "2fa_required"]);
    rec.not_found(&sub, "a");
    assert!(rec.flush(WAIT));
    let a = r.key(&own, "a").unwrap().unwrap();
    assert_eq!(
        a.scopes.as_deref(),
        Some(&["2fa_required".to_owned(), "mail.send".to_owned()][..])
    );
    assert!(a.detail_read_at.is_some() && a.gone_at.is_none());
    let in_sub = r.key(&sub, "a").unwrap().unwrap();
    assert_eq!(in_sub.gone_how.as_deref(), Some("not_found"));
    let events = r
        .events(&EventFilter {
            key_id: Some("a".into()),
            on_behalf_of: Some(None),
            ..Default::default()
        })
        .unwrap();
    let scopes = events.iter().find(|e| e.kind == "scopes").unwrap();
    assert_eq!(
        scopes.scopes_before,
        Some(vec!["mail.send".to_owned(), "stats.read".to_owned()])
    );
    assert_eq!(scopes.scopes, Some(vec!["mail.send".to_owned()]));
}

#[test]
fn the_last_sighting_of_a_key_is_one_query_and_names_its_context() {
    let (_d, inv, rec) = open();
    let sub = rec.scope().place(Some("acme-eu".into()));
    rec.list(&sub, keys(&[("LEAKED", "ci")]), true, None);
    assert!(rec.flush(WAIT));
    let r = inv.reader().unwrap();
    let (ctx, k) = r.last_sighting("LEAKED").unwrap().unwrap();
    assert_eq!(ctx.on_behalf_of.as_deref(), Some("acme-eu"));
    assert_eq!(ctx.base_url, "https://api.sendgrid.com");
    assert_eq!(k.name, "ci");
    assert!(r.last_sighting("nope").unwrap().is_none());
    let plan: String = r
        .conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT * FROM keys WHERE key_id = 'x' ORDER BY last_seen DESC LIMIT 1",
            [],
            |row| row.get(3),
        )
        .unwrap();
    assert!(plan.contains("keys_by_key_id"), "{plan}");
}

#[test]
fn first_seen_since_a_time_with_its_baseline() {
    let (_d, inv, rec) = open();
    let own = rec.scope().place(None);
    rec.list(&own, keys(&[("a", "alpha")]), true, None);
    assert!(rec.flush(WAIT));
    std::thread::sleep(Duration::from_millis(5));
    let t = now_ms();
    std::thread::sleep(Duration::from_millis(5));
    rec.list(&own, keys(&[("a", "alpha"), ("b", "beta")]), true, None);
    assert!(rec.flush(WAIT));
    let r = inv.reader().unwrap();
    let ctx = r.context(&own).unwrap().unwrap();
    let new: Vec<String> = r
        .first_seen_after(ctx.id, t)
        .unwrap()
        .into_iter()
        .map(|k| k.key_id)
        .collect();
    assert_eq!(new, ["b"]);
    let base = r.complete_read_before(ctx.id, t).unwrap().unwrap();
    assert!(base < t);
    assert_eq!(r.complete_read_before(ctx.id, base - 1).unwrap(), None);
}

#[test]
fn sweeps_are_recorded_and_one_left_running_by_a_dead_process_reads_interrupted() {
    let (_d, inv, rec) = open();
    let own = rec.scope().place(None);
    let s = rec.sweep_start("audit");
    rec.sweep_context(s, &own, Some("eu"));
    rec.list(&own, keys(&[("a", "alpha")]), true, Some(s));
    assert!(rec.flush(WAIT));
    let r = inv.reader().unwrap();
    assert_eq!(r.sweeps(5).unwrap()[0].state, "running");
    let ctx = r.context(&own).unwrap().unwrap();
    assert_eq!(ctx.region.as_deref(), Some("eu"));
    assert!(r.finished_sweep_before(ctx.id, now_ms()).unwrap().is_none());
    rec.sweep_end(s, "finished");
    assert!(rec.flush(WAIT));
    let done = r.finished_sweep_before(ctx.id, now_ms()).unwrap().unwrap();
    assert_eq!((done.id, done.kind.as_str()), (s, "audit"));
    // a sweep whose process died
    r.conn
        .execute(
            "INSERT INTO sweeps (id, kind, started_at, state, pid) VALUES (7, 'audit', 1, 'running', 999999999)",
            [],
        )
        .unwrap();
    let dead = r
        .sweeps(10)
        .unwrap()
        .into_iter()
        .find(|s| s.id == 7)
        .unwrap();
    assert_eq!(dead.state, "interrupted");
}

#[test]
fn writes_by_sgkeys_update_it() {
    let (_d, inv, rec) = open();
    let own = rec.scope().place(None);
    let sub = rec.scope().place(Some("s".into()));
    rec.list(&sub, keys(&[("k", "old")]), true, None);
    let scopes = vec!["mail.send".to_owned()];
    rec.detail(&own, "k", "bot", &scopes, Source::Create);
    rec.renamed(&own, "k", "bot 2");
    rec.revoked(&own, "k");
    assert!(rec.flush(WAIT));
    let r = inv.reader().unwrap();
    let k = r.key(&own, "k").unwrap().unwrap();
    assert_eq!(k.first_seen_how, "created");
    assert_eq!(k.name, "bot 2");
    assert_eq!(k.gone_how.as_deref(), Some("revoked"));
    // revoked: gone wherever it was seen
    assert!(r.key(&sub, "k").unwrap().unwrap().gone_at.is_some());
    let own_events: Vec<String> = r
        .events(&EventFilter {
            on_behalf_of: Some(None),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| format!("{}:{}", e.kind, e.source))
        .collect();
    assert_eq!(
        own_events,
        ["first_seen:create", "renamed:rename", "gone:revoke"]
    );
}

#[test]
fn the_account_is_found_again_through_a_key_its_list_showed() {
    let (_d, inv, rec) = open();
    let own = rec.scope().place(None);
    rec.list(
        &own,
        keys(&[("CALLER", "admin"), ("NEXT", "admin 2")]),
        true,
        None,
    );
    assert!(rec.flush(WAIT));
    let s = inv.scope_for("https://api.sendgrid.com", "NEXT").unwrap();
    assert_eq!(s.account, "key:CALLER");
    let other = inv
        .scope_for("https://api.sendgrid.com", "STRANGER")
        .unwrap();
    assert_eq!(other.account, "key:STRANGER");
    let eu = inv
        .scope_for("https://api.eu.sendgrid.com", "NEXT")
        .unwrap();
    assert_eq!(eu.account, "key:NEXT");
}

#[test]
fn an_old_version_file_is_migrated_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.sqlite");
    {
        // a file as version 2 wrote it: scopes as text on each key and history row
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(
            schema::migrate_to(&mut conn, 2).unwrap(),
            schema::Migrated::From(0)
        );
        conn.execute_batch(
            "INSERT INTO contexts (base_url, account, on_behalf_of, first_read_at, list_read_at)
                 VALUES ('https://api.sendgrid.com', 'key:CALLER', '', 1000, 1000);
             INSERT INTO keys (context_id, key_id, name, scopes, first_seen, last_seen,
                               detail_read_at, first_seen_how)
                 VALUES (1, 'old', 'from version 2', 'mail.send stats.read', 1000, 1000, 1000, 'list'),
                        (1, 'same', 'same scopes', 'mail.send stats.read', 1000, 1000, 1000, 'list'),
                        (1, 'unread', 'never read', NULL, 1000, 1000, NULL, 'list');
             INSERT INTO events (context_id, key_id, at, kind, source, name, scopes, scopes_before)
                 VALUES (1, 'old', 1000, 'scopes', 'detail', 'from version 2',
                         'mail.send stats.read', 'mail.send');
             INSERT INTO list_reads (context_id, at, complete, keys) VALUES (1, 1000, 1, 3);",
        )
        .unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 2);
    }
    let inv = Inventory::open(&path).unwrap();
    let r = inv.reader().unwrap();
    let v: i64 = r
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, schema::VERSION);
    let own = scope().place(None);
    let snap = r.snapshot(&own).unwrap().unwrap();
    let scopes = |id: &str| {
        snap.keys
            .iter()
            .find(|k| k.key_id == id)
            .unwrap()
            .scopes
            .as_deref()
            .map(<[String]>::to_vec)
    };
    let both = Some(vec!["mail.send".to_owned(), "stats.read".to_owned()]);
    assert_eq!(scopes("old"), both);
    assert_eq!(scopes("same"), both);
    assert_eq!(scopes("unread"), None, "never read stays unknown");
    let sets: i64 = r
        .conn
        .query_row("SELECT count(*) FROM scope_sets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sets, 2, "each distinct set stored once");
    let events = r.events(&EventFilter::default()).unwrap();
    assert_eq!(events[0].scopes, both);
    assert_eq!(events[0].scopes_before, Some(vec!["mail.send".to_owned()]));
    assert_eq!(
        r.complete_read_before(snap.context.id, 2000).unwrap(),
        Some(1000)
    );
    // and it is written as the new version writes
    let rec = inv.recorder(scope());
    detail(
        &rec,
        &own,
        "unread",
        "never read",
        &["mail.send", "stats.read"],
    );
    assert!(rec.flush(WAIT));
    let k = r.key(&own, "unread").unwrap().unwrap();
    assert_eq!(k.scopes.as_deref().map(<[String]>::to_vec), both);
}

#[test]
fn a_newer_file_is_refused_and_a_damaged_one_names_the_file_and_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let newer = dir.path().join("newer.sqlite");
    {
        let conn = Connection::open(&newer).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let e = Inventory::open(&newer).unwrap_err();
    assert!(matches!(e, InventoryError::TooNew { found: 99, .. }), "{e}");
    let bad = dir.path().join("bad.sqlite");
    std::fs::write(&bad, vec![0x42u8; 8192]).unwrap();
    let e = Inventory::open(&bad).unwrap_err().to_string();
    assert!(
        e.contains("bad.sqlite") && e.contains("sgkeys inventory clear"),
        "{e}"
    );
    assert!(matches!(
        Inventory::read_existing(&bad),
        Err(InventoryError::Corrupt { .. })
    ));
    assert!(remove(&bad).unwrap());
    assert!(!bad.exists());
    assert!(!remove(&bad).unwrap());
}

#[test]
fn reading_a_missing_inventory_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("none/inventory.sqlite");
    assert!(Inventory::read_existing(&p).unwrap().is_none());
    assert!(!dir.path().join("none").exists());
}

#[cfg(unix)]
#[test]
fn the_file_and_its_wal_companions_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let (d, inv, rec) = open();
    rec.list(
        &rec.scope().place(None),
        keys(&[("a", "alpha")]),
        true,
        None,
    );
    assert!(rec.flush(WAIT));
    let _reader = inv.reader().unwrap();
    let base = d.path().join("state/sgkeys/inventory.sqlite");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&base), 0o600);
    assert_eq!(mode(&companion(&base, "-wal")), 0o600);
    assert_eq!(mode(&companion(&base, "-shm")), 0o600);
    assert_eq!(mode(&d.path().join("state/sgkeys")), 0o700);
    drop(_reader);
    inv.close(WAIT);
    // closed: the WAL folded back into the file (the next open does not read it again)
    assert!(!companion(&base, "-wal").exists());
    // loosened by someone: tightened on the next open
    for p in [base.clone(), companion(&base, "-wal")] {
        if p.exists() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let _inv = Inventory::open(&base).unwrap();
    assert_eq!(mode(&base), 0o600);
    if companion(&base, "-wal").exists() {
        assert_eq!(mode(&companion(&base, "-wal")), 0o600);
    }
}

#[test]
fn a_second_writer_waits_for_the_first_and_nothing_is_lost() {
    let (d, inv, rec) = open();
    let path = d.path().join("state/sgkeys/inventory.sqlite");
    // another process holds the write lock for a while
    let mut other = Connection::open(&path).unwrap();
    let tx = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let own = rec.scope().place(None);
    rec.list(&own, keys(&[("a", "alpha")]), true, None);
    assert!(!rec.flush(Duration::from_millis(300)), "waits while locked");
    std::thread::sleep(Duration::from_millis(200));
    tx.commit().unwrap();
    assert!(rec.flush(WAIT));
    let r = inv.reader().unwrap();
    assert_eq!(r.snapshot(&own).unwrap().unwrap().keys.len(), 1);
    assert_eq!(inv.close(WAIT), CloseReport::default());
}

#[test]
fn paths_follow_flags_then_environment_then_profile() {
    let def = PathBuf::from("/state/inventory.sqlite");
    let none = |_: &str| None;
    assert_eq!(
        resolve_path(false, None, none, false, None, def.clone()),
        Some(def.clone())
    );
    assert_eq!(
        resolve_path(true, Some("/x".into()), none, false, None, def.clone()),
        None
    );
    let env = |k: &str| (k == "SGKEYS_INVENTORY").then(|| "/env.sqlite".to_owned());
    assert_eq!(
        resolve_path(false, None, env, false, Some("/p".into()), def.clone()),
        Some(PathBuf::from("/env.sqlite"))
    );
    let off = |k: &str| (k == "SGKEYS_NO_INVENTORY").then(|| "1".to_owned());
    assert_eq!(
        resolve_path(false, None, off, false, None, def.clone()),
        None
    );
    assert_eq!(
        resolve_path(false, Some("/f".into()), off, false, None, def.clone()),
        Some(PathBuf::from("/f"))
    );
    assert_eq!(
        resolve_path(false, None, none, true, None, def.clone()),
        None
    );
    assert_eq!(
        resolve_path(false, None, none, false, Some("/p".into()), def),
        Some(PathBuf::from("/p"))
    );
}

#[test]
fn ages_read_plainly() {
    assert_eq!(ago(0, 1_000), "just now");
    assert_eq!(ago(0, 12_000), "12 s ago");
    assert_eq!(ago(0, 180_000), "3 min ago");
    assert_eq!(ago(0, 7_200_000), "2 h ago");
    assert_eq!(ago(0, 5 * 86_400_000), "5 d ago");
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
}

#[test]
fn list_reads_are_thinned_and_keep_what_audit_since_needs() {
    let (_d, inv, rec) = open();
    let own = rec.scope().place(None);
    rec.list(&own, keys(&[("a", "alpha")]), true, None);
    assert!(rec.flush(WAIT));
    let now = now_ms();
    // 40 days of a dashboard reading every minute (complete) with a partial read between
    {
        let conn = rusqlite::Connection::open(inv.path()).unwrap();
        let ctx: i64 = conn
            .query_row("SELECT id FROM contexts", [], |r| r.get(0))
            .unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        for m in (1..40 * 24 * 60).rev() {
            let at = now - m * 60_000;
            tx.execute(
                "INSERT INTO list_reads (context_id, at, complete, keys) VALUES (?1, ?2, ?3, 1)",
                rusqlite::params![ctx, at, m % 7 != 0],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let r = inv.reader().unwrap();
    let ctx = r.context(&own).unwrap().unwrap().id;
    let first = r.first_complete_read(ctx).unwrap().unwrap();
    let before = |t: Millis| r.complete_read_before(ctx, t).unwrap().unwrap();
    let (day_ago, week_ago) = (now - 86_400_000, now - 7 * 86_400_000);
    let (b_day, b_week) = (before(day_ago), before(week_ago));
    // the next list read thins them
    rec.list(&own, keys(&[("a", "alpha")]), true, None);
    assert!(rec.flush(WAIT));
    let count: i64 = r
        .conn
        .query_row("SELECT count(*) FROM list_reads", [], |q| q.get(0))
        .unwrap();
    assert!(
        count < 24 * 60 + 30 * 24 + 10 + 2,
        "{count} rows kept of {}",
        40 * 24 * 60
    );
    assert_eq!(r.first_complete_read(ctx).unwrap(), Some(first));
    // the last day whole; a baseline further back is at most an hour older, never newer
    let thin_day = before(day_ago + 60_000);
    assert!(thin_day <= day_ago + 60_000 && thin_day >= b_day - 3_600_000);
    let thin_week = before(week_ago);
    assert!(thin_week <= b_week && thin_week >= b_week - 3_600_000);
}
