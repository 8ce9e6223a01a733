//! Limits a leaked-key run keeps: probes within `--concurrency` and `--timeout` (what was not
//! checked is said), `--verify-timeout` honoured to the end, a report past the size cap.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn probes_keep_to_concurrency_and_a_report_past_timeout_says_what_was_not_checked() {
    // 300 keys SendGrid refuses, at --concurrency 4: never more than a few connections
    let sim = sim_with_delay(0).await;
    let dir = tempfile::tempdir().unwrap();
    let keys: Vec<String> = {
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(9);
        (0..300)
            .map(|_| {
                sgkeys::secret::Secret::generate(&mut rng)
                    .expose()
                    .to_owned()
            })
            .collect()
    };
    let admin = sim.admin_key().expose().to_owned();
    sim.reset_counters();
    let (code, _, err) = run_report(
        dir.path(),
        &sim.base_url(),
        &admin,
        &keys.join("\n"),
        &["--concurrency", "4", "--dry-run"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("300 keys found: 300 dead, 0 live"), "{err}");
    assert!(
        sim.connections() <= 8,
        "{} connections for 300 keys at --concurrency 4",
        sim.connections()
    );
    sim.shutdown().await;

    // 20 keys whose probes take 400 ms, 2 at once, within --timeout 1: most are not checked,
    // and every count says so
    let server = Hostile::start(|r: &Seen| {
        let path = r.path.split('?').next().unwrap_or_default().to_owned();
        if path == "/v3/scopes"
            && r.header("authorization") != Some(format!("Bearer {}", fake_key(1)).as_str())
        {
            return Reply::Slow(
                Duration::from_millis(400),
                Box::new(Reply::json(200, json!({"scopes": ["mail.send"]}))),
            );
        }
        Reply::json(
            404,
            json!({"errors":[{"field":null,"message":"not found"}]}),
        )
    })
    .await;
    let keys: Vec<String> = (100..120).map(fake_key).collect();
    let (code, out, err) = run_report(
        dir.path(),
        &server.url(),
        &fake_key(1),
        &keys.join("\n"),
        &[
            "--concurrency",
            "2",
            "--timeout",
            "1",
            "--dry-run",
            "--json",
        ],
    )
    .await;
    assert_eq!(code, 1, "{out}{err}");
    let (v, by_id) = keys_by_id(&out);
    let unchecked = by_id
        .values()
        .filter(|k| k["status"] == "not_checked")
        .count();
    assert!(unchecked >= 10, "{out}");
    assert_eq!(v["summary"]["not_checked"].as_u64(), Some(unchecked as u64));
    assert!(
        err.contains(&format!(
            "{unchecked} keys were not checked: --timeout 1.0 s was over"
        )),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_timeout_is_honoured_to_the_end() {
    let key = fake_key(84);
    let server = immortal(&id_of(&key)).await;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "revoke",
        "--leaked",
        "--yes",
        "--json",
        "--verify-timeout",
        "3",
    ];
    let (code, out, err) = run_off(dir.path(), &server.url(), &fake_key(1), &args, &key).await;
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let after = v["verified_after_ms"].as_u64().unwrap();
    assert!(
        after >= 2500,
        "asked until the 3 s were over, not {after} ms"
    );
    assert!(
        v["proof"]
            .as_str()
            .unwrap()
            .starts_with("STILL AUTHENTICATES"),
        "{v}"
    );
}

#[test]
fn a_report_past_the_size_cap_names_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(64 * 1024 * 1024 + 1)
        .unwrap();
    let p = path.to_string_lossy().into_owned();
    let (code, _, err) = run(
        dir.path(),
        "http://127.0.0.1:9",
        &fake_key(1),
        &["revoke", "--from-report", &p, "--dry-run"],
        "",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--from-report") && err.contains("larger than 64 MiB"),
        "{err}"
    );
}
