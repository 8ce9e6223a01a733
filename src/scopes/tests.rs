//! The scope catalog: levels, classification, grants.

use super::*;

#[test]
fn packed_levels_agree_with_the_classification() {
    assert!(categories().len() <= Levels::MAX);
    let abbrs: BTreeSet<&str> = categories().iter().map(|c| c.abbr).collect();
    assert_eq!(
        abbrs.len(),
        categories().len(),
        "column headers are distinct"
    );
    for scopes in [
        vec!["mail.send", "api_keys.read", "api_keys.create"],
        full_access_scopes().into_iter().collect(),
        vec!["billing.read"],
        vec!["stats.read", "user.webhooks.event.settings.read"],
        vec![],
    ] {
        let class = classify(&scopes);
        let packed = Levels::of(&class);
        for (i, l) in class.levels.iter().enumerate() {
            assert_eq!(packed.get(i), l.level, "{} in {scopes:?}", l.category.id);
        }
        assert_eq!(packed.get(Levels::MAX + 3), Level::No);
    }
}

#[test]
fn catalog_matches_the_facts() {
    assert_eq!(categories().len(), 25);
    assert_eq!(all_scopes().len(), 203);
    assert_eq!(full_access_scopes().len(), 199);
    assert_eq!(ADMIN_LIST_SCOPES.len(), 197);
    assert!(category("billing").is_some_and(|c| c.billing));
    assert!(is_auto_assigned("2fa_required"));
    assert!(is_billing("billing.read"));
    assert!(!is_billing("mail.send"));
    // read ⊆ full ⊆ scopes for every category
    for c in categories() {
        assert!(c.read.iter().all(|s| c.full.contains(s)), "{}", c.id);
        assert!(c.full.iter().all(|s| c.scopes.contains(s)), "{}", c.id);
    }
    // Stats is read-only: no Full level to pick.
    assert_eq!(category("stats").map(|c| c.levels().len()), Some(2));
    assert_eq!(category("mail").map(|c| c.levels().len()), Some(3));
}

#[test]
fn classifies_full_custom_billing() {
    let full: Vec<&str> = full_access_scopes().into_iter().collect();
    let c = classify(&full);
    assert_eq!(c.key_type, KeyType::Full);
    assert_eq!(c.level("mail"), Level::Full);
    assert_eq!(c.level("stats"), Level::Read);
    assert_eq!(c.level("billing"), Level::No);

    let c = classify(&["mail.send", "2fa_required", "sender_verification_eligible"]);
    assert_eq!(c.key_type, KeyType::Custom);
    assert_eq!(c.level("mail"), Level::Partial);
    assert_eq!(c.counted, 1);
    assert_eq!(
        c.auto_assigned,
        vec!["2fa_required", "sender_verification_eligible"]
    );

    let c = classify(&[
        "billing.read",
        "billing.update",
        "billing.create",
        "billing.delete",
    ]);
    assert_eq!(c.key_type, KeyType::Billing);
    assert_eq!(c.level("billing"), Level::Full);

    let c = classify(&["billing.read", "mail.send"]);
    assert_eq!(c.key_type, KeyType::Custom);
    assert!(c.mixed_billing);
}

#[test]
fn read_level_and_partial() {
    let c = classify(&["alerts.read"]);
    assert_eq!(c.level("alerts"), Level::Read);
    let c = classify(&["alerts.read", "alerts.create"]);
    assert_eq!(c.level("alerts"), Level::Partial);
    let c = classify(&[
        "alerts.read",
        "alerts.create",
        "alerts.update",
        "alerts.delete",
    ]);
    assert_eq!(c.level("alerts"), Level::Full);
    let c = classify(&["totally.unknown"]);
    assert_eq!(c.unknown, vec!["totally.unknown"]);
    assert_eq!(c.key_type, KeyType::Custom);
}

#[test]
fn full_access_tolerates_section_only_scopes_missing() {
    // A full key created by a caller that lacks teammates.* and marketing.read is still Full.
    let scopes: Vec<&str> = full_access_scopes()
        .into_iter()
        .filter(|s| !s.starts_with("teammates.") && *s != "marketing.read")
        .collect();
    assert_eq!(classify(&scopes).key_type, KeyType::Full);
    // A subuser's Full Access key (no subusers.* scopes) is Full too.
    let scopes: Vec<&str> = full_access_scopes()
        .into_iter()
        .filter(|s| !s.starts_with("subusers."))
        .collect();
    assert_eq!(classify(&scopes).key_type, KeyType::Full);
    // Without api_keys.delete it is Custom.
    let scopes: Vec<&str> = full_access_scopes()
        .into_iter()
        .filter(|s| *s != "api_keys.delete")
        .collect();
    assert_eq!(classify(&scopes).key_type, KeyType::Custom);
}

#[test]
fn globs() {
    assert!(glob_match("mail.*", "mail.send"));
    assert!(glob_match("mail.*", "mail.batch.read"));
    assert!(!glob_match("mail.*", "mail_settings.bcc.read"));
    assert!(glob_match("*.read", "stats.read"));
    assert!(glob_match("a?i_keys.*", "api_keys.read"));
    assert!(glob_match("*", ""));
    assert!(!glob_match("", "x"));
    // the byte path (ASCII) and the char path agree
    let patterns = [
        "",
        "*",
        "**",
        "?",
        "mail.*",
        "*.read",
        "a?i_keys.*",
        "*mail*",
        "m*l.s?nd",
        "Mail.*",
    ];
    let texts = [
        "",
        "mail.send",
        "mail.batch.read",
        "mail_settings.bcc.read",
        "stats.read",
        "api_keys.read",
        "Mail.send",
    ];
    for p in patterns {
        for t in texts {
            let (pc, tc): (Vec<char>, Vec<char>) = (p.chars().collect(), t.chars().collect());
            assert_eq!(
                glob_match(p, t),
                glob_units(&pc, &tc, '*', '?'),
                "{p:?} {t:?}"
            );
        }
    }
    assert!(glob_match("é*", "éa") && glob_match("*é", "aé") && !glob_match("?", "éa"));
}

#[test]
fn expands_specs() {
    let s = expand_specs(&["mail.send", "stats=read"]).unwrap_or_default();
    assert!(s.contains("mail.send") && s.contains("stats.read") && s.contains("geo.stats.read"));
    assert_eq!(expand_specs(&["mail=full"]).map(|s| s.len()), Ok(5));
    assert_eq!(expand_specs(&["api_keys.*"]).map(|s| s.len()), Ok(4));
    assert!(matches!(
        expand_specs(&["nope.scope"]),
        Err(ScopeSpecError::Unknown(_))
    ));
    assert!(matches!(
        expand_specs(&["stats=full"]),
        Err(ScopeSpecError::NoSuchLevel { .. })
    ));
    assert!(matches!(
        expand_specs(&["stats=most"]),
        Err(ScopeSpecError::BadLevel(_))
    ));
    assert_eq!(
        expand_specs(&["billing.read", "mail.send"]),
        Err(ScopeSpecError::MixedBilling)
    );
    assert_eq!(expand_specs::<&str>(&[]), Err(ScopeSpecError::Empty));
    assert_eq!(expand_specs(&["2fa_required"]), Err(ScopeSpecError::Empty));
}

#[test]
fn sendable_drops_auto_assigned() {
    assert_eq!(
        sendable(&["mail.send", "2fa_required", "mail.send"]),
        vec!["mail.send"]
    );
}

#[test]
fn classify_counts_levels_with_bits_exactly_as_level_of_counts_them_by_name() {
    // every category at every level, and mixed subsets drawn from the whole catalog
    let all: Vec<&str> = all_scopes().into_iter().collect();
    let mut sets: Vec<Vec<&str>> = vec![vec![], all.clone()];
    for c in CATEGORIES {
        sets.push(c.read.to_vec());
        sets.push(c.full.to_vec());
        sets.push(c.scopes.iter().step_by(2).copied().collect());
    }
    let mut seed = 7u64;
    for _ in 0..200 {
        let subset = all
            .iter()
            .filter(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                seed >> 62 != 0
            })
            .copied()
            .collect();
        sets.push(subset);
    }
    for held in &sets {
        let by_name: BTreeSet<&str> = held.iter().copied().collect();
        let class = classify(held);
        for (c, got) in CATEGORIES.iter().zip(&class.levels) {
            assert_eq!(got.level, c.level_of(&by_name), "{} over {held:?}", c.id);
            assert_eq!(got.held, c.held_count(&by_name), "{} over {held:?}", c.id);
        }
    }
}

/// [`classify`] as it was, over names (a `BTreeSet` of the held ones): the oracle for the
/// bit-set classification.
fn classify_by_names<S: AsRef<str>>(scopes: &[S]) -> Classification {
    let mut auto = Vec::new();
    let mut unknown = Vec::new();
    let mut held: BTreeSet<&str> = BTreeSet::new();
    for s in scopes {
        let s = s.as_ref();
        if is_auto_assigned(s) {
            auto.push(s.to_owned());
        } else {
            if !is_known(s) {
                unknown.push(s.to_owned());
            }
            held.insert(s);
        }
    }
    let billing = held.iter().filter(|s| is_billing(s)).count();
    let others = held.len() - billing;
    let key_type = if billing > 0 && others == 0 {
        KeyType::Billing
    } else if billing == 0 && !held.is_empty() && full_access_core().all(|s| held.contains(s)) {
        KeyType::Full
    } else {
        KeyType::Custom
    };
    let levels = CATEGORIES
        .iter()
        .map(|c| CategoryLevel {
            category: c,
            level: c.level_of(&held),
            held: c.held_count(&held),
        })
        .collect();
    auto.sort();
    auto.dedup();
    unknown.sort();
    unknown.dedup();
    Classification {
        key_type,
        levels,
        auto_assigned: auto,
        unknown,
        counted: held.len(),
        mixed_billing: billing > 0 && others > 0,
    }
}

/// Names to draw keys from: the table, a few outside it, a billing one.
fn pool() -> Vec<String> {
    let mut names: Vec<String> = TABLE.names.iter().map(|s| (*s).to_owned()).collect();
    names.extend(["totally.unknown", "mail.sendx", "", "zzz.read"].map(str::to_owned));
    names
}

#[test]
fn every_auto_assigned_scope_is_in_the_table_and_outside_the_catalog() {
    for a in auto_assigned() {
        assert!(TABLE.index.contains_key(a), "{a}");
        assert!(!is_known(a), "{a}");
    }
    assert!(TABLE.core_outside.is_empty());
}

proptest::proptest! {
    /// The bit-set classification answers as the one over names did, for any mix of catalog,
    /// auto-assigned and unknown names, duplicates and order included; and a set's names come
    /// back as the same set.
    #[test]
    fn classify_over_bits_agrees_with_classify_over_names(
        picks in proptest::collection::vec(0usize..1000, 0..260),
        drop_core in proptest::collection::vec(0usize..1000, 0..3),
        full_base in proptest::prelude::any::<bool>(),
    ) {
        let pool = pool();
        let mut names: Vec<String> = Vec::new();
        if full_base {
            // near Full Access (the worst case of the first frame): all but a few core scopes
            let core: Vec<&str> = full_access_core().collect();
            let gone: Vec<&str> = drop_core.iter().map(|i| core[i % core.len()]).collect();
            names.extend(core.iter().filter(|s| !gone.contains(s)).map(|s| (*s).to_owned()));
        }
        names.extend(picks.iter().map(|i| pool[i % pool.len()].clone()));
        let old = classify_by_names(&names);
        proptest::prop_assert_eq!(&classify(&names), &old);
        let (set, other) = ScopeSet::from_names(&names);
        proptest::prop_assert_eq!(&classify_set(set, &other), &old);
        let back: Vec<&str> = set
            .names()
            .map(|s| -> &str { s })
            .chain(other.iter().map(String::as_str))
            .collect();
        let (again, other_again) = ScopeSet::from_names(&back);
        proptest::prop_assert_eq!(again, set);
        proptest::prop_assert_eq!(&classify_set(again, &other_again), &old);
    }
}
