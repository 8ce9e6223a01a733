//! Dashboard hot paths over 10 000 keys: one rendered frame, one filter keystroke, one sort
//! keystroke. Goals (docs/performance.md): a frame ≤ 1 ms, a keystroke ≤ 2 ms.
//!
//! The app is built by driving the real state machine (`App::new`, `app::init`, then answering
//! every command it emits with `update(Msg::Api(..))`), exactly as the worker would: the key list
//! first, then every key's scopes through the background prefetch. Run with
//! `cargo bench --bench ui`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, VecDeque};
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sgkeys::api::{ApiKey, ApiKeyId, KeyDetail};
use sgkeys::app::{self, ApiEvent, ApiOp, ApiResult, App, Command, Context, Layer, Msg, SortKey};
use sgkeys::presets::PRESETS;
use sgkeys::scopes;

const W: u16 = 120;
const H: u16 = 40;
const N: usize = 10_000;

const SERVICES: &[&str] = &[
    "checkout",
    "billing-api",
    "notifications",
    "crm-sync",
    "analytics",
    "auth",
    "search",
    "inventory",
    "support-desk",
    "growth",
    "payments",
    "reports",
];
const ENVS: &[&str] = &["prod", "staging", "dev", "qa"];
/// SendGrid adds these by itself (the real API returns them with every key).
const AUTO: &[&str] = &["2fa_required", "sender_verification_eligible"];

/// A deterministic 22-character base62 id (SendGrid's shape), distinct per `i`.
fn key_id(i: usize) -> ApiKeyId {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut id = String::with_capacity(22);
    for _ in 0..16 {
        x ^= x >> 29;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        id.push(ALPHABET[(x % 62) as usize] as char);
    }
    // a unique tail, so ids never collide
    let mut tail = i;
    for _ in 0..6 {
        id.push(ALPHABET[tail % 62] as char);
        tail /= 62;
    }
    ApiKeyId(id)
}

/// Realistic names: `service-env-00042`, with a few risky ones (test, tmp, leaked, duplicates).
fn key_name(i: usize) -> String {
    match i % 97 {
        13 => "test".to_owned(),
        29 => format!("tmp-debug-{i}"),
        41 => format!("prod-mail-key {i} (LEAKED?)"),
        // a duplicate name every 97 keys
        53 => "ci-deploy: worker (GitLab CI)".to_owned(),
        _ => format!(
            "{}-{}-{i:05}",
            SERVICES[i % SERVICES.len()],
            ENVS[(i / SERVICES.len()) % ENVS.len()]
        ),
    }
}

/// Scopes: every 11th key (and the first) Full Access, otherwise the presets in turn, with a
/// mail.send-only key in between; plus the auto-assigned scopes.
fn key_scopes(i: usize) -> Vec<String> {
    let mut s: Vec<String> = if i.is_multiple_of(11) {
        scopes::full_access_scopes()
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
    s.extend(AUTO.iter().map(|a| (*a).to_owned()));
    s
}

fn ctx() -> Context {
    Context {
        base_url: "https://api.sendgrid.com".into(),
        account: "acme-corp".into(),
        on_behalf_of: None,
        read_only: false,
        demo: false,
        caller_key_id: Some(key_id(0).0),
        region: None,
    }
}

/// Answer every API command, and the ones the answers cause, until none is left.
fn answer_all(app: &mut App, cmds: Vec<Command>, names: &[String], ids: &HashMap<ApiKeyId, usize>) {
    let mut queue: VecDeque<Command> = cmds.into();
    while let Some(cmd) = queue.pop_front() {
        let Command::Api { req, op, .. } = cmd else {
            continue;
        };
        let result = match &op {
            ApiOp::ListKeys => ApiResult::Keys(Ok(names
                .iter()
                .enumerate()
                .map(|(i, name)| ApiKey {
                    api_key_id: key_id(i),
                    name: name.clone(),
                })
                .collect())),
            ApiOp::GetKey(id) => {
                let i = ids[id];
                ApiResult::Key(Ok(KeyDetail {
                    api_key_id: id.clone(),
                    name: names[i].clone(),
                    scopes: key_scopes(i),
                }))
            }
            ApiOp::MyScopes => ApiResult::MyScopes(Ok(scopes::full_access_scopes()
                .into_iter()
                .map(str::to_owned)
                .collect())),
            ApiOp::ReadJournal => ApiResult::Journal(Ok(vec![])),
            other => panic!("the bench does not expect {other:?}"),
        };
        let more = app::update(app, Msg::Api(ApiEvent { req, result }));
        queue.extend(more);
    }
}

/// 10 000 keys loaded as after the background prefetch: names, ids, scopes and risk known,
/// 12.5 s after start, at 120×40, the first (Full Access) key selected in the list.
fn loaded_app() -> App {
    let names: Vec<String> = (0..N).map(key_name).collect();
    let ids: HashMap<ApiKeyId, usize> = (0..N).map(|i| (key_id(i), i)).collect();
    assert_eq!(ids.len(), N, "ids are distinct");
    let mut app = App::new(ctx());
    app::update(&mut app, Msg::Resize(W, H));
    let cmds = app::init(&mut app);
    answer_all(&mut app, cmds, &names, &ids);
    // the debounced detail fetch of the selection, then "updated 12s ago"
    let cmds = app::update(&mut app, Msg::Tick(500));
    answer_all(&mut app, cmds, &names, &ids);
    let cmds = app::update(&mut app, Msg::Tick(12_500));
    answer_all(&mut app, cmds, &names, &ids);
    assert_eq!(app.keys.entries.len(), N);
    assert!(
        app.keys.entries.iter().all(|e| e.info().is_some()),
        "every key's scopes are known"
    );
    assert!(!app.keys.prefetch.active() && !app.busy());
    assert_eq!(app.layer(), Layer::List);
    app
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn backspace() -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE))
}

fn press(app: &mut App, text: &str) {
    for c in text.chars() {
        let cmds = app::update(app, key(c));
        assert!(cmds.is_empty(), "typing sends no request");
    }
}

fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buf = terminal.backend().buffer();
    buf.content().iter().map(|c| c.symbol()).collect()
}

fn render(c: &mut Criterion) {
    let app = loaded_app();
    let mut g = c.benchmark_group("render");
    g.measurement_time(Duration::from_secs(5));

    let mut terminal = Terminal::new(TestBackend::new(W, H)).unwrap();
    terminal.draw(|f| sgkeys::ui::draw(f, &app)).unwrap();
    let text = screen_text(&terminal);
    assert!(
        text.contains("Keys 10000"),
        "the list title shows 10 000 keys"
    );
    assert!(
        text.contains("updated"),
        "the status line says the list is loaded"
    );
    // the goal: one frame, steady state (ratatui diffs against the previous frame)
    g.bench_function("frame 120x40, 10k keys", |b| {
        b.iter(|| {
            terminal.draw(|f| sgkeys::ui::draw(f, &app)).unwrap();
        });
    });
    // pessimistic: every cell rewritten (as after a resize or Ctrl-l)
    g.bench_function("frame 120x40, 10k keys, full repaint", |b| {
        b.iter(|| {
            terminal.clear().unwrap();
            terminal.draw(|f| sgkeys::ui::draw(f, &app)).unwrap();
        });
    });
    // the frame while moving through the list (j / k alternately): update + draw
    let mut app = app;
    let mut down = true;
    g.bench_function("j/k + frame 120x40, 10k keys", |b| {
        b.iter(|| {
            let c = if down { 'j' } else { 'k' };
            down = !down;
            black_box(app::update(&mut app, key(c)));
            terminal.draw(|f| sgkeys::ui::draw(f, &app)).unwrap();
        });
    });
    g.finish();
}

/// Time one keystroke's `update` (filter re-applied, list re-sorted); `undo` runs untimed after
/// each one so every measured keystroke starts from the same state.
fn keystroke(
    app: &mut App,
    msg: impl Fn() -> Msg,
    undo: impl Fn(&mut App),
) -> impl FnMut(u64) -> Duration {
    move |iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let start = Instant::now();
            black_box(app::update(app, msg()));
            total += start.elapsed();
            undo(app);
        }
        total
    }
}

fn filter(c: &mut Criterion) {
    let mut app = loaded_app();
    let mut g = c.benchmark_group("keystroke");
    g.measurement_time(Duration::from_secs(5));

    // `/` opens the filter; then the first character of a text filter
    press(&mut app, "/");
    assert_eq!(app.layer(), Layer::Filter);
    g.bench_function("filter text 'c', 10k keys", |b| {
        b.iter_custom(keystroke(
            &mut app,
            || key('c'),
            |app| {
                app::update(app, backspace());
            },
        ));
    });
    press(&mut app, "c");
    let n = app.view.rows.len();
    assert!(n > 0 && n < N, "'c' matches some keys ({n})");
    app::update(&mut app, backspace());
    assert_eq!(app.view.rows.len(), N);

    // a scope filter: `scope:mail.` typed, then the `*`
    press(&mut app, "scope:mail.");
    g.bench_function("filter 'scope:mail.*' (last key), 10k keys", |b| {
        b.iter_custom(keystroke(
            &mut app,
            || key('*'),
            |app| {
                app::update(app, backspace());
            },
        ));
    });
    press(&mut app, "*");
    let n = app.view.rows.len();
    assert!(n > 0 && n < N, "scope:mail.* matches some keys ({n})");
    // a text keystroke while sorted by risk: filter and sort
    for _ in 0.."scope:mail.*".len() {
        app::update(&mut app, backspace());
    }
    app.view.sort = SortKey::Risk;
    g.bench_function("filter text 'c', sorted by risk, 10k keys", |b| {
        b.iter_custom(keystroke(
            &mut app,
            || key('c'),
            |app| {
                app::update(app, backspace());
            },
        ));
    });
    app.view.sort = SortKey::Api;
    // Esc closes the filter and clears it
    app::update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
    );
    assert_eq!(app.layer(), Layer::List);
    assert_eq!(app.view.rows.len(), N);

    // `s` cycles the sort: created → name → type → risk. Time the step to each.
    for (from, to) in [
        (SortKey::Type, SortKey::Risk),
        (SortKey::Api, SortKey::Name),
        (SortKey::Name, SortKey::Type),
    ] {
        app.view.sort = from;
        app::update(&mut app, key('s'));
        assert_eq!(app.view.sort, to);
        g.bench_function(format!("sort by {}, 10k keys", to.label()), |b| {
            b.iter_custom(keystroke(
                &mut app,
                || key('s'),
                move |app| app.view.sort = from,
            ));
        });
    }
    g.finish();
}

/// The permission matrix (`m`) over 10 000 keys: one frame (visible rows and columns drawn, the
/// header counts over every key), a column move, and the sort by the focused column.
fn matrix(c: &mut Criterion) {
    let mut app = loaded_app();
    let mut g = c.benchmark_group("matrix");
    g.measurement_time(Duration::from_secs(5));
    app::update(&mut app, key('m'));
    app::update(&mut app, key('l'));
    assert_eq!(app.layer(), Layer::Matrix);
    let mut terminal = Terminal::new(TestBackend::new(W, H)).unwrap();
    terminal.draw(|f| sgkeys::ui::draw(f, &app)).unwrap();
    let text = screen_text(&terminal);
    assert!(
        text.contains("Permission matrix · 10000 keys"),
        "the matrix shows 10 000 keys"
    );
    g.bench_function("matrix frame 120x40, 10k keys", |b| {
        b.iter(|| {
            terminal.draw(|f| sgkeys::ui::draw(f, &app)).unwrap();
        });
    });
    g.bench_function("matrix frame 120x40, 10k keys, full repaint", |b| {
        b.iter(|| {
            terminal.clear().unwrap();
            terminal.draw(|f| sgkeys::ui::draw(f, &app)).unwrap();
        });
    });
    let mut right = true;
    g.bench_function("matrix h/l + frame 120x40, 10k keys", |b| {
        b.iter(|| {
            let c = if right { 'l' } else { 'h' };
            right = !right;
            black_box(app::update(&mut app, key(c)));
            terminal.draw(|f| sgkeys::ui::draw(f, &app)).unwrap();
        });
    });
    g.bench_function("matrix sort by the focused column, 10k keys", |b| {
        b.iter_custom(keystroke(
            &mut app,
            || key('s'),
            |app| {
                app.view.sort = SortKey::Api;
                app.view.reverse = false;
            },
        ));
    });
    g.finish();
}

criterion_group!(benches, render, filter, matrix);
criterion_main!(benches);
