use super::*;
use crate::scopes::{KeyType, classify};

fn store() -> Store {
    let mut rng = StdRng::seed_from_u64(1);
    let admin = Secret::generate(&mut rng);
    Store::new(
        admin,
        "acme",
        KeyGen {
            seed: Some(9),
            generated: 0,
        },
    )
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn table_fits_and_orders_granted_before_auto() {
    assert_eq!(ScopeSet::catalog().len(), scopes::all_scopes().len());
    let (set, unknown) = ScopeSet::from_names(&["2fa_required", "mail.send", "alerts.read"]);
    assert!(unknown.is_empty());
    assert_eq!(
        set.to_strings(),
        ["alerts.read", "mail.send", "2fa_required"]
    );
    assert_eq!(
        ScopeSet::legacy_auto().to_strings(),
        [
            "2fa_required",
            "sender_verification_eligible",
            "sender_verification_legacy"
        ]
    );
    assert!(!ScopeSet::subuser_available().contains("billing.read"));
    assert!(!ScopeSet::subuser_available().contains("subusers.read"));
    assert!(ScopeSet::subuser_available().contains("mail.send"));
}

#[test]
fn admin_key_holds_everything_and_authenticates() {
    let s = store();
    let caller = s.authenticate(s.admin.expose()).unwrap();
    assert_eq!(caller.account, PARENT);
    assert_eq!(caller.scopes.granted(), ScopeSet::admin());
    assert!(!caller.scopes.contains("billing.read"));
    assert!(s.authenticate("SG.nope").is_none());
}

#[test]
fn create_without_scopes_is_full_access_without_billing() {
    let mut s = store();
    let admin = s.authenticate(s.admin.expose()).unwrap();
    let eff = s.effective(&admin, PARENT);
    let c = s.create(PARENT, eff, "full", None).unwrap();
    assert_eq!(classify(&c.detail.scopes).key_type, KeyType::Full);
    assert!(!c.detail.scopes.iter().any(|x| scopes::is_billing(x)));
    assert!(c.detail.scopes.contains(&"2fa_required".to_owned()));
    let caller = s.authenticate(c.secret.expose()).unwrap();
    assert_eq!(caller.scopes.to_strings(), c.detail.scopes);
}

#[test]
fn billing_cannot_be_mixed_and_escalation_is_refused() {
    let mut s = store();
    let admin = s.authenticate(s.admin.expose()).unwrap();
    let eff = s.effective(&admin, PARENT);
    let mixed = strings(&["billing.read", "mail.send"]);
    assert!(matches!(
        s.create(PARENT, eff, "x", Some(&mixed)),
        Err(OpError::BadRequest {
            field: Some("scopes"),
            ..
        })
    ));
    // the admin is a Full Access key: it holds no billing scope, so it cannot grant one
    let billing = strings(&["billing.read"]);
    assert!(matches!(
        s.create(PARENT, eff, "b", Some(&billing)),
        Err(OpError::Forbidden {
            field: Some("scopes"),
            ..
        })
    ));
    // auto-assigned scopes in a request are ignored
    let with_auto = strings(&["mail.send", "2fa_required"]);
    let b = s.create(PARENT, eff, "b", Some(&with_auto)).unwrap();
    assert_eq!(classify(&b.detail.scopes).counted, 1);

    // a limited key cannot grant more than it has
    let limited = s.mint(
        PARENT,
        "limited",
        ScopeSet::from_names(&["api_keys.create", "mail.send"]).0,
    );
    let caller = s.authenticate(limited.expose()).unwrap();
    let eff = s.effective(&caller, PARENT);
    let err = s
        .create(
            PARENT,
            eff,
            "y",
            Some(&strings(&["mail.send", "stats.read", "alerts.read"])),
        )
        .unwrap_err();
    assert_eq!(
        err,
        OpError::Forbidden {
            field: Some("scopes"),
            message: "access forbidden: cannot grant scopes the calling key does not have: \
                      stats.read, alerts.read"
                .into()
        }
    );
    // Full Access for a limited key is its own scopes
    let c = s.create(PARENT, eff, "z", None).unwrap();
    assert_eq!(
        c.detail.scopes,
        [
            "api_keys.create",
            "mail.send",
            "2fa_required",
            "sender_verification_eligible"
        ]
    );
}

#[test]
fn the_hundredth_key_is_the_last() {
    let mut s = store();
    let admin = s.authenticate(s.admin.expose()).unwrap();
    let eff = s.effective(&admin, PARENT);
    let one = strings(&["mail.send"]);
    for i in 1..MAX_KEYS {
        s.create(PARENT, eff, &format!("k{i}"), Some(&one)).unwrap();
    }
    assert_eq!(s.accounts[PARENT].keys.len(), MAX_KEYS);
    let err = s.create(PARENT, eff, "over", Some(&one)).unwrap_err();
    assert_eq!(
        err,
        OpError::Forbidden {
            field: None,
            message: "Cannot create more than 100 API Keys".into()
        }
    );
    // the limit is per account
    let sub = s.add_subuser(7, "sub", "s@x", Region::Eu);
    let eff = s.effective(&admin, sub);
    assert!(s.create(sub, eff, "ok", Some(&one)).is_ok());
}

#[test]
fn on_behalf_of_narrows_scopes_to_the_subuser() {
    let mut s = store();
    let sub = s.add_subuser(1001, "acme-tx", "t@x", Region::Global);
    assert_eq!(s.find_on_behalf_of("acme-tx"), Some(sub));
    // account-id names customer accounts (reseller setups), never subusers
    assert_eq!(s.find_on_behalf_of("account-id 1001"), None);
    assert_eq!(s.find_on_behalf_of("account-id 9"), None);
    let customer = s.add_customer("abc123", "cust", "c@x");
    assert_eq!(s.find_on_behalf_of("account-id abc123"), Some(customer));
    assert_eq!(s.find_on_behalf_of("account-id  abc123 "), Some(customer));
    assert_eq!(
        s.find_on_behalf_of("cust"),
        None,
        "a customer is no subuser"
    );
    assert_eq!(
        s.find_on_behalf_of("acme"),
        None,
        "the parent is not a subuser"
    );
    let admin = s.authenticate(s.admin.expose()).unwrap();
    let eff = s.effective(&admin, sub);
    assert!(!eff.contains("billing.read"));
    assert!(!eff.contains("subusers.read"));
    assert!(eff.contains("2fa_required"));
    let err = s
        .create(sub, eff, "b", Some(&strings(&["billing.read"])))
        .unwrap_err();
    assert!(matches!(err, OpError::Forbidden { .. }));
}

#[test]
fn put_replaces_scopes_and_keeps_auto_assigned_ones() {
    let mut s = store();
    let admin = s.authenticate(s.admin.expose()).unwrap();
    let eff = s.effective(&admin, PARENT);
    let legacy = ScopeSet::from_names(&["mail.send"])
        .0
        .union(ScopeSet::legacy_auto());
    let secret = s.mint(PARENT, "legacy", legacy);
    let id = secret.key_id().unwrap().to_owned();
    let d = s
        .update(PARENT, eff, &id, "renamed", &strings(&["stats.read"]))
        .unwrap();
    assert_eq!(d.name, "renamed");
    assert_eq!(
        d.scopes,
        [
            "stats.read",
            "2fa_required",
            "sender_verification_eligible",
            "sender_verification_legacy"
        ]
    );
    assert_eq!(
        s.update(PARENT, eff, "nope", "x", &strings(&["stats.read"])),
        Err(OpError::NotFound("unable to find API Key to update"))
    );
    s.delete(PARENT, &id).unwrap();
    assert!(s.authenticate(secret.expose()).is_none());
    assert_eq!(
        s.delete(PARENT, &id),
        Err(OpError::NotFound("unable to find API Key for deletion"))
    );
}

#[test]
fn state_round_trips_and_rejects_garbage() {
    let mut s = store();
    let sub = s.add_subuser(5, "sub", "s@x", Region::Eu);
    let secret = s.mint(sub, "k", ScopeSet::from_names(&["mail.send"]).0);
    let json = serde_json::to_string(&s.to_state()).unwrap();
    assert!(!json.contains(secret.expose()));
    let back = Store::from_state(serde_json::from_str(&json).unwrap(), Some(9)).unwrap();
    assert_eq!(
        back.authenticate(secret.expose()).map(|c| c.account),
        Some(sub)
    );
    assert_eq!(back.keygen.generated, s.keygen.generated);
    assert_eq!(back.accounts[sub].region, Region::Eu);

    let mut bad: StateFile = serde_json::from_str(&json).unwrap();
    bad.accounts[0].keys[0].scopes.push("bogus.scope".into());
    let err = Store::from_state(bad, None).unwrap_err();
    assert!(err.contains("bogus.scope"), "{err}");
    let mut bad: StateFile = serde_json::from_str(&json).unwrap();
    bad.accounts[0].keys[0].sha256 = "xyz".into();
    assert!(Store::from_state(bad, None).unwrap_err().contains("sha256"));
}

#[test]
fn replacing_the_admin_key_keeps_its_place() {
    let mut s = store();
    let old = s.admin.clone();
    let new = Secret::generate(&mut StdRng::seed_from_u64(77));
    s.replace_admin(new.clone());
    assert!(s.authenticate(old.expose()).is_none());
    assert!(s.authenticate(new.expose()).is_some());
    assert_eq!(s.accounts[PARENT].keys[0].id, new.key_id().unwrap());
    assert_eq!(s.accounts[PARENT].keys.len(), 1);
}

#[test]
fn seeded_keygen_does_not_replay_after_a_restart() {
    let mut a = KeyGen {
        seed: Some(42),
        generated: 0,
    };
    let first = a.next();
    let second = a.next();
    let mut restarted = KeyGen {
        seed: Some(42),
        generated: 1,
    };
    assert_eq!(restarted.next(), second);
    assert_ne!(first, second);
}
