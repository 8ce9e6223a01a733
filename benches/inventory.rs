//! The inventory at 10 000 keys: open the file and read one context's keys with the age of
//! each (what `--offline list --scopes` and the dashboard's first frame from the inventory
//! need), and the leaked-key lookup (where was key X last seen: one indexed query). Printed
//! once before the timings: how long recording the 10 000 keys took (a list read and 10 000
//! key reads, through the one writer thread), the file's size, and the resident memory one
//! open + read added. Goal (issue 20): the read well under the 100 ms the dashboard's first
//! frame allows. The first frame is measured twice: with the scope sets of a real account
//! (keys share them: the presets, `mail.send`, Full Access) and in the worst case, every key
//! its own scope set (10 000 distinct near-Full-Access sets, each classified once). Run with
//! `cargo bench --bench inventory`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sgkeys::app::{ApiEvent, ApiOp, ApiResult, App, Command, Context, Msg};
use sgkeys::inventory::{Inventory, Scope, Source};
use sgkeys::presets::PRESETS;

const N: usize = 10_000;

fn id(i: usize) -> String {
    format!("{i:0>22}")
}

fn scopes(i: usize) -> Vec<String> {
    let mut s: Vec<String> = if i.is_multiple_of(11) {
        sgkeys::scopes::full_access_scopes()
            .into_iter()
            .map(str::to_owned)
            .collect()
    } else if i % 2 == 1 {
        vec!["mail.send".to_owned()]
    } else {
        PRESETS[(i / 2) % PRESETS.len()]
            .scopes()
            .into_iter()
            .collect()
    };
    s.extend(["2fa_required", "sender_verification_eligible"].map(str::to_owned));
    s
}

/// The worst case for the first frame: Full Access without two scopes picked by `i`, a
/// different set for each of the 10 000 keys (each classified on its own).
fn distinct_scopes(i: usize) -> Vec<String> {
    let all: Vec<&str> = sgkeys::scopes::full_access_scopes().into_iter().collect();
    let n = all.len();
    assert!(n * n > N, "not enough scopes for {N} distinct sets");
    let (a, b) = (i % n, (i / n + 1 + i % n) % n);
    all.iter()
        .enumerate()
        .filter(|(j, _)| *j != a && *j != b)
        .map(|(_, s)| (*s).to_owned())
        .collect()
}

/// Record `N` keys holding `scopes(i)` into a new inventory at `path`, through the real
/// writer (a complete list read, then a key read each).
fn record(path: &std::path::Path, scope: &Scope, scopes: fn(usize) -> Vec<String>) {
    let place = scope.place(None);
    let inv = Inventory::open(path).unwrap();
    let rec = inv.recorder(scope.clone());
    rec.list(
        &place,
        (0..N).map(|i| (id(i), format!("key {i}"))).collect(),
        true,
        None,
    );
    for i in 0..N {
        rec.detail(
            &place,
            &id(i),
            &format!("key {i}"),
            &scopes(i),
            Source::Detail,
        );
    }
    assert!(rec.flush(Duration::from_secs(120)));
    drop(rec);
    let report = inv.close(Duration::from_secs(120));
    assert_eq!(report.unrecorded, 0);
}

/// The dashboard's first frame from the inventory at `path`: the worker's read, the model's
/// update, one draw (what stands between start and the first frame with rows, issue 20:
/// ≤ 100 ms). Returns the rows.
fn first_frame(
    path: &std::path::Path,
    place: &sgkeys::inventory::Place,
    terminal: &mut Terminal<TestBackend>,
) -> usize {
    let mut app = App::new(Context {
        base_url: "https://api.sendgrid.com".into(),
        account: "bench".into(),
        on_behalf_of: None,
        read_only: false,
        demo: false,
        caller_key_id: None,
        region: None,
    });
    app.remembers = true;
    app.size = (160, 48);
    let req = sgkeys::app::init(&mut app)
        .into_iter()
        .find_map(|c| match c {
            Command::Api {
                req,
                op: ApiOp::Recall,
                ..
            } => Some(req),
            _ => None,
        })
        .unwrap();
    let result = ApiResult::Remembered(sgkeys::worker::recall(path, place));
    sgkeys::app::update(&mut app, Msg::Api(ApiEvent { req, result }));
    terminal.draw(|f| sgkeys::ui::draw(f, &app)).unwrap();
    app.keys.entries.len()
}

/// Resident memory now, in KiB (Linux; 0 elsewhere).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.sqlite");
    let scope = Scope {
        base_url: "https://api.sendgrid.com".into(),
        account: "key:bench".into(),
    };
    let place = scope.place(None);
    let started = Instant::now();
    record(&path, &scope, scopes);
    let recorded = started.elapsed();
    let size: u64 = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum();
    let before = rss_kib();
    let t = Instant::now();
    let reader = Inventory::read_existing(&path).unwrap().unwrap();
    let snap = reader.snapshot(&place).unwrap().unwrap();
    let once = t.elapsed();
    assert_eq!(snap.keys.len(), N);
    let added = rss_kib().saturating_sub(before);
    drop((snap, reader));
    eprintln!(
        "inventory of {N} keys: recorded in {:.2} s; file {:.1} MiB; first open + read {:.1} ms, \
         +{:.1} MiB resident",
        recorded.as_secs_f64(),
        size as f64 / (1024.0 * 1024.0),
        once.as_secs_f64() * 1000.0,
        added as f64 / 1024.0
    );

    c.bench_function("inventory: open + read 10 000 keys with their ages", |b| {
        b.iter(|| {
            let reader = Inventory::read_existing(&path).unwrap().unwrap();
            black_box(reader.snapshot(&place).unwrap().unwrap().keys.len())
        })
    });
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let t = Instant::now();
    assert_eq!(first_frame(&path, &place, &mut terminal), N);
    eprintln!(
        "dashboard: first frame from the inventory of {N} keys (cold) {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    c.bench_function(
        "dashboard: first frame from an inventory of 10 000 keys",
        |b| b.iter(|| black_box(first_frame(&path, &place, &mut terminal))),
    );
    let worst = dir.path().join("distinct.sqlite");
    record(&worst, &scope, distinct_scopes);
    c.bench_function(
        "dashboard: first frame, 10 000 keys, each its own scope set (worst case)",
        |b| b.iter(|| black_box(first_frame(&worst, &place, &mut terminal))),
    );
    let reader = Inventory::read_existing(&path).unwrap().unwrap();
    c.bench_function("inventory: where was key X last seen (10 000 keys)", |b| {
        b.iter(|| black_box(reader.last_sighting(&id(black_box(7_777))).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
