//! The persistence check of `revoke --leaked`, over real HTTP: a leaked key that could create
//! keys has the keys of its account that appeared while it was exposed listed (against the
//! inventory's last complete list from before), offered in the same confirmation and revoked
//! through the journal; the keys that appear during the propagation delay are found after the
//! proof; with no baseline that is said plainly.

use std::time::Duration;

use serde_json::Value;
use sgkeys::sim::SimConfig;

use crate::common::env::Env;

const CREATOR: &[&str] = &["api_keys.create", "api_keys.read", "mail.send"];

async fn fleet(revoke_delay_ms: u64) -> Env {
    Env::with(SimConfig {
        seed: "fleet:3:2".parse().unwrap(),
        revoke_delay: Duration::from_millis(revoke_delay_ms),
        ..SimConfig::fast()
    })
    .await
}

fn names(env: &Env, account: &str) -> Vec<String> {
    env.sim
        .keys(Some(account))
        .into_iter()
        .map(|k| k.name)
        .collect()
}

fn revoked_ids(env: &Env) -> Vec<String> {
    env.journal_entries()
        .iter()
        .filter(|e| e["action"] == "revoke")
        .filter_map(|e| e["api_key_id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_that_appeared_while_exposed_are_listed_then_revoked_only_when_asked() {
    let env = fleet(0).await;
    // the baseline: the account read in full before the leak
    let (code, _, err) = env.run(&["--on-behalf-of", "fleet-002", "list", "--json"]);
    assert_eq!(code, 0, "{err}");
    // the leak's first sighting, given: every run compares with the same list (without it,
    // each run compares with the last complete list before it, the dry run's included)
    std::thread::sleep(Duration::from_millis(1100));
    let since = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    std::thread::sleep(Duration::from_millis(1100));
    let leaked = env.sim.add_key(Some("fleet-002"), "ci", CREATOR);
    env.sim
        .add_key(Some("fleet-002"), "backdoor", &["mail.send"]);
    let stdin = format!("{}\n", leaked.expose());

    // a dry run lists it and sends nothing
    let (code, out, err) = env.run_in(
        &[
            "revoke",
            "--leaked",
            "--dry-run",
            "--json",
            "--since",
            &since,
        ],
        &stdin,
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let p = &v["persistence"];
    assert_eq!(p["appeared"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(p["appeared"][0]["name"], "backdoor", "{p}");
    assert!(p["baseline"]["listed_at"].is_string(), "{p}");
    assert!(
        err.contains("1 key APPEARED in fleet-002 while the key was exposed"),
        "{err}"
    );
    assert_eq!(env.sent("DELETE", "/"), 0);

    // --yes alone revokes only the leaked key, says so, and ends with what is left (exit 1)
    let (code, out, err) = env.run_in(
        &["revoke", "--leaked", "--yes", "--json", "--since", &since],
        &stdin,
    );
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "revoked", "{v}");
    assert_eq!(
        v["persistence"]["appeared"][0]["status"], "not_revoked",
        "{v}"
    );
    assert!(err.contains("add --revoke-appeared"), "{err}");
    assert!(err.contains("still there"), "{err}");
    assert!(names(&env, "fleet-002").contains(&"backdoor".to_owned()));
    assert_eq!(revoked_ids(&env).len(), 1);
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_appeared_revokes_them_and_the_ones_made_during_the_delay_journaled() {
    let env = fleet(1500).await;
    let (code, _, err) = env.run(&["--on-behalf-of", "fleet-001", "list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let leaked = env.sim.add_key(Some("fleet-001"), "ci", CREATOR);
    env.sim
        .add_key(Some("fleet-001"), "backdoor", &["mail.send"]);
    let leaked_id = leaked.key_id().unwrap().to_owned();
    let run = {
        let cmd = env.cmd(&["revoke", "--leaked", "--yes", "--revoke-appeared", "--json"]);
        let stdin = format!("{}\n", leaked.expose());
        tokio::task::spawn_blocking(move || crate::common::env::feed(cmd, &stdin))
    };
    // once the leaked key is deleted (it still authenticates for 1.5 s), a key appears
    for _ in 0..200 {
        if env
            .sim
            .keys(Some("fleet-001"))
            .iter()
            .all(|k| k.api_key_id.0 != leaked_id)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    env.sim.add_key(Some("fleet-001"), "late", &["mail.send"]);
    let (code, stdout, stderr) = run.await.unwrap();
    assert_eq!(code, 0, "{stdout}{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let p = &v["persistence"];
    assert_eq!(p["appeared"][0]["name"], "backdoor", "{p}");
    assert_eq!(p["appeared"][0]["status"], "revoked", "{p}");
    assert_eq!(p["appeared_during_delay"][0]["name"], "late", "{p}");
    assert_eq!(p["appeared_during_delay"][0]["status"], "revoked", "{p}");
    assert!(
        stderr.contains("APPEARED in fleet-001 during the propagation delay"),
        "{stderr}"
    );
    let left = names(&env, "fleet-001");
    assert!(
        !left.contains(&"backdoor".to_owned()) && !left.contains(&"late".to_owned()),
        "{left:?}"
    );
    // each revoke journaled like any other
    assert_eq!(revoked_ids(&env).len(), 3, "{:?}", env.journal_entries());
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_no_baseline_it_says_so_and_calls_no_key_suspect() {
    let env = fleet(0).await;
    let leaked = env.sim.add_key(Some("fleet-003"), "ci", CREATOR);
    env.sim
        .add_key(Some("fleet-003"), "backdoor", &["mail.send"]);
    let stdin = format!("{}\n", leaked.expose());
    for extra in [vec![], vec!["--no-inventory"]] {
        let mut args = vec!["revoke", "--leaked", "--dry-run", "--json"];
        args.extend(extra.iter().copied());
        let (code, out, err) = env.run_in(&args, &stdin);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let p = &v["persistence"];
        assert!(p["no_baseline"].is_string(), "{extra:?}: {p}");
        assert_eq!(p["appeared"].as_array().unwrap().len(), 0, "{p}");
        assert!(err.contains("no baseline"), "{err}");
    }
    // a key that cannot create keys gets no check at all
    let plain = env.sim.add_key(Some("fleet-003"), "plain", &["mail.send"]);
    let (code, out, _) = env.run_in(
        &["revoke", "--leaked", "--dry-run", "--json"],
        &format!("{}\n", plain.expose()),
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("persistence").is_none(), "{v}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reports_date_is_the_baseline_and_all_revokes_what_appeared_since() {
    let env = fleet(0).await;
    let list = ["--on-behalf-of", "fleet-002", "list", "--json"];
    assert_eq!(env.run(&list).0, 0);
    std::thread::sleep(Duration::from_millis(1100));
    let date = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    std::thread::sleep(Duration::from_millis(1100));
    let leaked = env.sim.add_key(Some("fleet-002"), "ci", CREATOR);
    env.sim
        .add_key(Some("fleet-002"), "backdoor", &["mail.send"]);
    // read again since: the report's date still picks the list from before the leak
    assert_eq!(env.run(&list).0, 0);
    let report = env.dir.path().join("gitleaks.json");
    let finding = serde_json::json!([{
        "Secret": leaked.expose(), "File": "deploy.env", "StartLine": 3,
        "Commit": "0123456789abcdef", "Date": date,
    }]);
    std::fs::write(&report, finding.to_string()).unwrap();
    let r = report.to_str().unwrap();
    let (code, out, err) = env.run(&[
        "revoke",
        "--from-report",
        r,
        "--yes",
        "--revoke-appeared",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let p = &v["keys"][0]["persistence"];
    assert_eq!(p["baseline"]["what"], "the scanner report's date", "{p}");
    assert_eq!(p["appeared"][0]["name"], "backdoor", "{p}");
    assert_eq!(p["appeared"][0]["status"], "revoked", "{p}");
    assert!(!names(&env, "fleet-002").contains(&"backdoor".to_owned()));
    assert_eq!(revoked_ids(&env).len(), 2);
    env.sim.shutdown().await;
}

// ---------------------------------------------------------------- the dashboard's leak path

mod dashboard {
    use std::time::Duration;

    use sgkeys::api::{ApiKey, ApiKeyId, Client, ClientOptions};
    use sgkeys::app::{self, ApiOp, ApiResult, Command, Modal, Msg, Mutation};
    use sgkeys::journal::Journal;
    use sgkeys::leak::{Baseline, Exposure, Route, Verification};
    use sgkeys::ops::{Done, Effect};
    use sgkeys::sim::SimConfig;

    use crate::common::dash::Dash;
    use crate::common::env::Env;
    use crate::common::{arm, fixture_keys, loaded_app, press, reply};

    /// A fixture key holding Full Access (it can create keys).
    const LEAKED: &str = "Tm3Db6Gx9Yh2Uj5Ik8Ol1P";

    fn ops(cmds: &[Command]) -> Vec<(u64, ApiOp)> {
        cmds.iter()
            .filter_map(|c| match c {
                Command::Api { req, op, .. } => Some((*req, op.clone())),
                _ => None,
            })
            .collect()
    }

    fn status(app: &app::App) -> String {
        sgkeys::ui::status::pending_text(app).join(" · ")
    }

    /// The fixture account with `LEAKED` pasted, found here by the persistence check (which
    /// listed the account: no baseline, nothing appeared before), then `d` `y`: revoked.
    /// Returns the request asking the key until it is refused.
    fn pasted_and_revoked(app: &mut app::App) -> u64 {
        let secret = format!("SG.{LEAKED}.{}", "k".repeat(43));
        let cmds = app::update(app, Msg::Paste(secret));
        let (req, op) = ops(&cmds)[0].clone();
        assert!(matches!(op, ApiOp::Locate { here: true, .. }), "{op:?}");
        let exposure = Exposure {
            baseline: Baseline::None("no inventory is kept (--no-inventory)".into()),
            appeared: Vec::new(),
            by_sgkeys: 0,
            listed: fixture_keys(),
        };
        let found = app::leak::Whereabouts::Found {
            ctx: None,
            region: None,
            via: Route::Here,
            exposure: Some(Ok(exposure)),
        };
        reply(app, req, ApiResult::Located(found));
        assert_eq!(app.selected().unwrap().id.as_str(), LEAKED);
        press(app, "d");
        arm(app);
        let cmds = press(app, "y");
        let (req, _) = ops(&cmds)
            .into_iter()
            .find(|(_, op)| matches!(op, ApiOp::Mutate(Mutation::Revoke { .. })))
            .unwrap();
        let cmds = reply(app, req, ApiResult::Mutated(Done::ok(Effect::Revoked)));
        let (vreq, vop) = ops(&cmds)[0].clone();
        assert!(matches!(vop, ApiOp::VerifyDead { .. }), "{vop:?}");
        vreq
    }

    #[test]
    fn after_the_proof_the_account_is_listed_again_and_what_appeared_meanwhile_is_offered() {
        let mut app = loaded_app(120, 40);
        // revoked, then asked until refused; the status line says what it waits for
        let vreq = pasted_and_revoked(&mut app);
        assert!(
            status(&app).contains(&format!("waiting for SendGrid to refuse {LEAKED}")),
            "{}",
            status(&app)
        );
        // refused: the delay is over; its account is listed again, compared with the check's list
        let proof = Verification {
            dead: true,
            after: Duration::from_millis(2100),
            attempts: 5,
            ..Default::default()
        };
        let cmds = reply(&mut app, vreq, ApiResult::Verified(Ok(proof)));
        let relist: Vec<_> = cmds
            .iter()
            .filter_map(|c| match c {
                Command::Api {
                    req,
                    ctx,
                    op: ApiOp::ListAfterDelay { before, leaked },
                    ..
                } => Some((*req, ctx.clone(), before.clone(), leaked.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(relist.len(), 1, "{cmds:?}");
        let (lreq, ctx, before, leaked) = relist[0].clone();
        assert_eq!((ctx, leaked.as_str()), (None, LEAKED));
        assert_eq!(before, fixture_keys());
        assert!(
            app.toast
                .as_ref()
                .is_some_and(|t| t.text.contains("confirmed dead after 2.1 s")),
            "{:?}",
            app.toast
        );
        assert!(
            status(&app).contains("listing the own account again"),
            "{}",
            status(&app)
        );
        // a key made with it during the delay: joins the list, offered for revoke at once
        let late = ApiKey {
            api_key_id: ApiKeyId("L".repeat(22)),
            name: "late".into(),
        };
        reply(
            &mut app,
            lreq,
            ApiResult::AppearedDuringDelay(Ok(vec![late.clone()])),
        );
        assert!(app.leak.is_none(), "the secret is let go");
        assert!(
            app.toast.as_ref().is_some_and(|t| t.text.ends_with(
                "appeared during the propagation delay of Tm3Db6Gx9Yh2Uj5Ik8Ol1P: revoke it?"
            )),
            "{:?}",
            app.toast
        );
        assert!(!status(&app).contains("listing"), "{}", status(&app));
        assert!(
            app.log.iter().any(|l| l
                .text
                .contains("1 key appeared in the own account during the propagation delay")
                && l.text.contains("late")),
            "said in the log"
        );
        let Some(Modal::ConfirmDelete(c)) = &app.modal else {
            panic!("no confirmation: {:?}", app.modal);
        };
        let ids: Vec<&str> = c.targets.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, [late.api_key_id.as_str()]);
        assert!(app.keys.index.contains_key(&late.api_key_id));
        // confirmed: revoked like any key (the operations layer journals it)
        arm(&mut app);
        let cmds = press(&mut app, "y");
        assert!(
            ops(&cmds).iter().any(|(_, op)| matches!(
                op,
                ApiOp::Mutate(Mutation::Revoke { id, .. }) if *id == late.api_key_id
            )),
            "{cmds:?}"
        );
    }

    #[test]
    fn a_failed_list_after_the_delay_is_said_and_nothing_is_offered() {
        let mut app = loaded_app(120, 40);
        let vreq = pasted_and_revoked(&mut app);
        let still = Verification {
            dead: false,
            after: Duration::from_secs(60),
            attempts: 40,
            ..Default::default()
        };
        // not refused in time: listed again all the same (now is as late as it gets)
        let cmds = reply(&mut app, vreq, ApiResult::Verified(Ok(still)));
        let (lreq, op) = ops(&cmds)[0].clone();
        assert!(matches!(op, ApiOp::ListAfterDelay { .. }), "{op:?}");
        reply(
            &mut app,
            lreq,
            ApiResult::AppearedDuringDelay(Err(crate::common::server_error())),
        );
        assert!(app.modal.is_none());
        // the escalation stays on screen; what the list could not tell is in the log
        assert!(
            app.toast
                .as_ref()
                .is_some_and(|t| t.text.contains("STILL AUTHENTICATES")),
            "{:?}",
            app.toast
        );
        assert!(
            app.log.iter().any(|l| l
                .text
                .contains("could not be listed again after the revoke")),
            "said in the log"
        );
    }

    /// Over real HTTP: the simulator keeps a revoked key working for 1.5 s; the key, revoked
    /// from the dashboard, mints one more key meanwhile; the dashboard finds it after the
    /// proof and revokes it after the confirmation, journaled.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_key_minted_with_the_leaked_key_during_the_delay_is_found_and_revoked() {
        let env = Env::with(SimConfig {
            revoke_delay: Duration::from_millis(1500),
            ..SimConfig::fast()
        })
        .await;
        let leaked = env.sim.add_key(None, "ci", super::CREATOR);
        let leaked_id = leaked.key_id().unwrap().to_owned();
        let journal = Journal::new(env.journal());
        let mut d = Dash::start(&env.sim, &journal).await;
        let cmds = app::update(&mut d.app, Msg::Paste(leaked.expose().to_owned()));
        d.drive(cmds).await;
        assert_eq!(d.app.selected().unwrap().id.as_str(), leaked_id);
        // the attacker, as soon as the key leaves the list (it still authenticates)
        let sim = env.sim.clone();
        let attacker = Client::new(
            leaked.clone(),
            ClientOptions {
                base_url: env.sim.base_url(),
                ..Default::default()
            },
        )
        .unwrap();
        let minted = tokio::spawn(async move {
            for _ in 0..500 {
                if sim.keys(None).iter().all(|k| k.api_key_id.0 != leaked_id) {
                    let scopes = ["mail.send".to_owned()];
                    return attacker.create_key("late", Some(&scopes)).await;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the leaked key was never revoked");
        });
        d.press("d").await;
        d.tick(app::revoke::ARM_MS).await;
        d.press("y").await; // revoke, proof, list after the delay: all answered
        let late = minted.await.unwrap().expect("minted during the delay");
        let toast = d.app.toast.clone().map(|t| t.text).unwrap_or_default();
        assert!(
            toast.contains("appeared during the propagation delay"),
            "{toast}"
        );
        let Some(Modal::ConfirmDelete(c)) = &d.app.modal else {
            panic!("no confirmation: {:?}", d.app.modal);
        };
        let ids: Vec<&str> = c.targets.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, [late.api_key_id.as_str()]);
        let at = |what: &str| d.app.log.iter().position(|l| l.text.contains(what));
        let (proof, relist, appeared) = (
            at("confirmed dead"),
            at("listing the own account again"),
            at("appeared in the own account during the propagation delay"),
        );
        assert!(
            proof.is_some() && proof < relist && relist < appeared,
            "the proof, then the list again, then what appeared: {:?}",
            d.app.log.iter().map(|l| &l.text).collect::<Vec<_>>()
        );
        d.tick(app::revoke::ARM_MS).await;
        d.press("y").await;
        assert!(
            env.sim
                .keys(None)
                .iter()
                .all(|k| k.name != "late" && k.name != "ci"),
            "both gone"
        );
        let revoked: Vec<String> = super::revoked_ids(&env);
        assert!(revoked.contains(&late.api_key_id.0), "{revoked:?}");
        d.stop().await;
        env.sim.shutdown().await;
    }
}
