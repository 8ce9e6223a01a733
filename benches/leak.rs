//! Reading a scanner's report: `leak::sightings` over 100 000 gitleaks findings of distinct keys
//! (the case: quadratic deduplication took 14 s of CPU before the first request), and
//! over the same keys as coloured text (`grep --color`). Goal: linear, well under a second.
//! Run with `cargo bench --bench leak`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use sgkeys::leak;
use sgkeys::secret::Secret;

const N: usize = 100_000;

fn keys() -> Vec<String> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    (0..N)
        .map(|_| Secret::generate(&mut rng).expose().to_owned())
        .collect()
}

fn gitleaks(keys: &[String]) -> String {
    let items: Vec<serde_json::Value> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            serde_json::json!({"Description": "SendGrid API token", "StartLine": i % 500 + 1,
                "File": format!("src/f{}.py", i % 977), "Commit": "abcdef0123", "Secret": k,
                "Match": format!("KEY={k}"), "RuleID": "sendgrid-api-token"})
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

fn coloured(keys: &[String]) -> String {
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            format!(
                "\u{1b}[35msrc/f{i}.py\u{1b}[m:3:KEY=\"\u{1b}[01;31m\u{1b}[K{k}\u{1b}[m\u{1b}[K\"\n"
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let json = gitleaks(&keys);
    let text = coloured(&keys);
    let mut g = c.benchmark_group("leak");
    g.sample_size(10);
    g.bench_function("sightings_gitleaks_100k", |b| {
        b.iter(|| {
            let s = leak::sightings(black_box(&json));
            assert_eq!(s.len(), N);
        });
    });
    g.bench_function("sightings_coloured_text_100k", |b| {
        b.iter(|| {
            let s = leak::sightings(black_box(&text));
            assert_eq!(s.len(), N);
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
