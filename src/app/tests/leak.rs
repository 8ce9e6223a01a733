//! A pasted key: found here or in another context, revoked, proven dead; the keys that appeared while it was exposed.

use super::*;

#[test]
fn a_pasted_key_jumps_to_it_and_never_reaches_an_input_or_the_log() {
    let mut app = loaded();
    let secret = format!("SG.{}.{}", id(5).0, "a".repeat(43));
    update(&mut app, Msg::Paste(secret.clone()));
    assert_eq!(selected_name(&app), "stats");
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("press d to revoke"))
    );
    assert!(!format!("{:?}", app.filter.input).contains(&secret));
    // typed into the filter by hand: same, and the secret leaves the input
    update(&mut app, key('g'));
    update(&mut app, key('/'));
    typed(&mut app, &secret);
    assert_eq!(selected_name(&app), "stats");
    assert_eq!(app.filter.input.value(), "");
    assert!(app.log.iter().all(|l| !l.text.contains(&secret[26..])));
    // a key not here is looked for everywhere else, by the worker; in none, it says so plainly
    let other = format!("SG.{}.{}", "Z".repeat(22), "b".repeat(43));
    let cmds = update(&mut app, Msg::Paste(other));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert!(matches!(op, ApiOp::Locate { .. }), "{op:?}");
    let cmds = update(
        &mut app,
        answer(
            req,
            ApiResult::Located(crate::app::leak::Whereabouts::Nowhere),
        ),
    );
    assert!(app.leak.is_none(), "the secret is let go");
    // then the key itself is asked: dead
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert!(matches!(op, ApiOp::Probe(_)));
    update(
        &mut app,
        answer(req, ApiResult::Probed(crate::leak::Probe::Dead)),
    );
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("already revoked")),
        "{:?}",
        app.toast
    );
}

#[test]
fn a_pasted_key_of_a_subuser_switches_there_selects_it_and_is_proven_dead_after_revoke() {
    let mut app = loaded();
    let secret = format!("SG.{}.{}", "S".repeat(22), "c".repeat(43));
    let cmds = update(&mut app, Msg::Paste(secret));
    // one request: the worker's lookup (inventory, the key's own word, then the sweep)
    let ops = api_cmds(&cmds);
    assert_eq!(ops.len(), 1, "{ops:?}");
    let (req, op) = ops[0].clone();
    assert!(matches!(op, ApiOp::Locate { .. }), "{op:?}");
    let found = crate::app::leak::Whereabouts::Found {
        ctx: Some(OnBehalfOf::Subuser("acme-tx".into())),
        region: Some(crate::api::Region::Eu),
        via: crate::leak::Route::Username,
        exposure: None,
    };
    let cmds = update(&mut app, answer(req, ApiResult::Located(found)));
    assert!(
        app.log
            .iter()
            .any(|l| l.text.contains("in the account the key itself named")),
        "the route is said"
    );
    assert_eq!(app.ctx.region, Some(crate::api::Region::Eu), "its host");
    assert_eq!(
        app.ctx.on_behalf_of,
        Some(OnBehalfOf::Subuser("acme-tx".into()))
    );
    let (list_req, _) = api_cmds(&cmds)
        .into_iter()
        .find(|(_, op)| *op == ApiOp::ListKeys)
        .unwrap();
    update(
        &mut app,
        answer(
            list_req,
            ApiResult::Keys(Ok(vec![ApiKey {
                api_key_id: ApiKeyId("S".repeat(22)),
                name: "tx leak".into(),
            }])),
        ),
    );
    assert_eq!(selected_name(&app), "tx leak", "selected in the subuser");
    // d y: the revoke, then the key itself is asked until it is refused
    update(&mut app, key('d'));
    arm(&mut app);
    let cmds = update(&mut app, key('y'));
    let (req, _) = api_cmds(&cmds)
        .into_iter()
        .find(|(_, op)| matches!(op, ApiOp::Mutate(Mutation::Revoke { .. })))
        .unwrap();
    let cmds = update(
        &mut app,
        answer(req, ApiResult::Mutated(Done::ok(Effect::Revoked))),
    );
    let (vreq, vop) = api_cmds(&cmds)[0].clone();
    assert!(matches!(vop, ApiOp::VerifyDead { .. }));
    update(
        &mut app,
        answer(
            vreq,
            ApiResult::Verified(Ok(crate::leak::Verification {
                dead: true,
                after: std::time::Duration::from_millis(2400),
                attempts: 4,
                ..Default::default()
            })),
        ),
    );
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("confirmed dead after 2.4 s")),
        "{:?}",
        app.toast
    );
    assert!(app.leak.is_none());
}

#[test]
fn a_pasted_key_that_could_create_keys_is_marked_with_the_keys_that_appeared_for_one_confirm() {
    let mut app = loaded();
    let leaked = ApiKeyId("P".repeat(22));
    let secret = format!("SG.{}.{}", leaked.0, "d".repeat(43));
    let cmds = update(&mut app, Msg::Paste(secret));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert!(matches!(op, ApiOp::Locate { here: false, .. }), "{op:?}");
    let backdoor = ApiKey {
        api_key_id: ApiKeyId("B".repeat(22)),
        name: "backdoor".into(),
    };
    let exposure = crate::leak::Exposure {
        baseline: crate::leak::Baseline::Listed {
            at: 0,
            before: 1,
            what: "this run".into(),
        },
        appeared: vec![backdoor.clone()],
        by_sgkeys: 0,
        listed: Vec::new(),
    };
    let found = crate::app::leak::Whereabouts::Found {
        ctx: Some(OnBehalfOf::Subuser("acme-tx".into())),
        region: None,
        via: crate::leak::Route::Inventory,
        exposure: Some(Ok(exposure)),
    };
    let cmds = update(&mut app, answer(req, ApiResult::Located(found)));
    assert!(
        app.log.iter().any(
            |l| l.text.contains("1 key appeared in subuser acme-tx while")
                && l.text.contains("backdoor")
        ),
        "the persistence check is logged"
    );
    let (list_req, _) = api_cmds(&cmds)
        .into_iter()
        .find(|(_, op)| *op == ApiOp::ListKeys)
        .unwrap();
    let keys = vec![
        ApiKey {
            api_key_id: leaked.clone(),
            name: "ci".into(),
        },
        backdoor.clone(),
        ApiKey {
            api_key_id: ApiKeyId("Q".repeat(22)),
            name: "old".into(),
        },
    ];
    update(&mut app, answer(list_req, ApiResult::Keys(Ok(keys))));
    assert_eq!(selected_name(&app), "ci");
    assert_eq!(
        app.view.marks,
        [leaked.clone(), backdoor.api_key_id.clone()]
            .into_iter()
            .collect(),
        "the leaked key and the one that appeared, marked together"
    );
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("d revokes all 2")),
        "{:?}",
        app.toast
    );
    // one confirmation (the count typed) revokes both
    update(&mut app, key('d'));
    arm(&mut app);
    typed(&mut app, "2");
    let cmds = update(&mut app, key('y'));
    let revoked: Vec<ApiKeyId> = api_cmds(&cmds)
        .into_iter()
        .filter_map(|(_, op)| match op {
            ApiOp::Mutate(Mutation::Revoke { id, .. }) => Some(id),
            _ => None,
        })
        .collect();
    assert_eq!(revoked.len(), 2, "{revoked:?}");
}
