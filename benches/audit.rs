//! The CPU side of `sgkeys audit` over 10 000 keys once their scopes are fetched: classify and
//! assess every key, then render the JSON and table reports. No goal of its own: it shows that
//! the audit's wall time (docs/performance.md) is the network's, not sgkeys'.
//! Run with `cargo bench --bench audit`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sgkeys::api::{ApiKeyId, KeyDetail};
use sgkeys::audit::{self, Audit, ContextSummary};
use sgkeys::presets::PRESETS;
use sgkeys::scopes;

const N: usize = 10_000;

/// Every 11th key Full Access, every other one mail.send only, the rest the presets in turn;
/// with SendGrid's auto-assigned scopes, and a few risky names (as in benches/ui.rs).
fn details() -> Vec<KeyDetail> {
    (0..N)
        .map(|i| {
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
            s.extend(["2fa_required", "sender_verification_eligible"].map(str::to_owned));
            let name = match i % 97 {
                13 => "test".to_owned(),
                29 => format!("tmp-debug-{i}"),
                41 => format!("prod-mail-key {i} (LEAKED?)"),
                53 => "ci-deploy: worker (GitLab CI)".to_owned(),
                _ => format!("service-{i:05}"),
            };
            KeyDetail {
                api_key_id: ApiKeyId(format!("Bk{i:020}")),
                name,
                scopes: s,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let details = details();
    let mut g = c.benchmark_group("audit");
    g.sample_size(20);
    g.bench_function("assess 10k keys", |b| {
        b.iter(|| black_box(audit::assess_context(None, &details)));
    });
    let report = Audit {
        generated_at: "2026-01-01T00:00:00Z".into(),
        base_url: "https://api.sendgrid.com".into(),
        contexts: vec![ContextSummary {
            context: None,
            keys: N,
            listed: Some(N),
            unread: 0,
            findings: Vec::new(),
            error: None,
        }],
        keys: audit::assess_context(None, &details),
    };
    g.bench_function("json report, 10k keys", |b| {
        b.iter(|| black_box(serde_json::to_string(&report).unwrap()));
    });
    g.bench_function("table report, 10k keys", |b| {
        b.iter(|| black_box(audit::to_table(&report, false)));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
