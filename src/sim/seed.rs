//! Seed data: the deterministic demo account, an empty account, and bulk accounts.
//!
//! Demo and bulk secrets come from fixed `StdRng` seeds (independent of `--rng-seed`), so the
//! same seed always yields the same ids, names and scopes.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::Seed;
use super::store::{PARENT, ScopeSet, SimScopes, Store};
use crate::api::Region;
use crate::scopes::{self, Level};
use crate::secret::Secret;

/// RNG seed of the demo keys' secrets.
const DEMO_SEED: u64 = 0x5347_4B45_5953_0001;
/// RNG seed of the bulk keys (mixed with N).
const BULK_SEED: u64 = 0x5347_4B45_5953_0B01;
/// Username of the parent account.
pub(crate) const PARENT_NAME: &str = "acme-corp";

/// How a seeded key's scopes are given.
enum Spec {
    /// Full Access in its account (every available non-billing scope).
    Full,
    /// Exact scopes.
    S(&'static [&'static str]),
    /// Category levels (`Level::Read` / `Level::Full`) plus extra scopes.
    C(&'static [(&'static str, Level)], &'static [&'static str]),
}

use Level::{Full as F, Read as R};

/// (name, scopes, legacy)
const DEMO_PARENT: &[(&str, Spec, bool)] = &[
    (
        "ci-deploy: web-frontend (GitHub Actions)",
        Spec::S(&["mail.send"]),
        false,
    ),
    (
        "ci-deploy: api-gateway (GitHub Actions)",
        Spec::S(&["mail.send"]),
        false,
    ),
    (
        "ci-deploy: worker (GitLab CI)",
        Spec::S(&["mail.send"]),
        false,
    ),
    (
        "ci-deploy: mobile-backend (CircleCI)",
        Spec::S(&["mail.send"]),
        false,
    ),
    (
        "jenkins: nightly reports",
        Spec::S(&["mail.send", "stats.read"]),
        false,
    ),
    ("prod-mail-key (LEAKED?)", Spec::Full, false),
    ("test", Spec::S(&["mail.send"]), false),
    ("tmp-debug", Spec::Full, false),
    (
        "marketing: HubSpot sync",
        Spec::C(
            &[
                ("email_marketing", F),
                ("asm_groups", F),
                ("suppressions", R),
            ],
            &[],
        ),
        false,
    ),
    (
        "marketing: newsletter sender",
        Spec::C(&[("newsletter", F), ("templates", R)], &["mail.send"]),
        false,
    ),
    (
        "marketing-campaigns (legacy UI)",
        Spec::C(&[("marketing_campaigns_legacy", F)], &[]),
        false,
    ),
    (
        "webhooks: event consumer",
        Spec::S(&[
            "user.webhooks.event.settings.read",
            "user.webhooks.event.settings.update",
            "user.webhooks.event.test.create",
            "user.webhooks.event.test.read",
            "user.webhooks.event.test.update",
        ]),
        false,
    ),
    (
        "webhooks: inbound parse router",
        Spec::S(&[
            "user.webhooks.parse.settings.create",
            "user.webhooks.parse.settings.read",
            "user.webhooks.parse.settings.update",
            "user.webhooks.parse.stats.read",
        ]),
        false,
    ),
    ("webhooks: full", Spec::C(&[("webhook", F)], &[]), false),
    (
        "stats: Grafana dashboard (read-only)",
        Spec::C(&[("stats", R)], &[]),
        false,
    ),
    (
        "stats: Looker export (read-only)",
        Spec::C(&[("stats", R), ("categories", R)], &[]),
        false,
    ),
    (
        "stats: category sums",
        Spec::S(&["categories.stats.read", "categories.stats.sums.read"]),
        false,
    ),
    ("billing: finance export", Spec::S(&["billing.read"]), false),
    ("billing: admin", Spec::C(&[("billing", F)], &[]), false),
    (
        "key-admin (platform team)",
        Spec::C(&[("api_keys", F)], &[]),
        false,
    ),
    (
        "key-rotation-bot",
        Spec::C(&[("api_keys", F)], &["mail.send"]),
        false,
    ),
    (
        "terraform: sendgrid provider",
        Spec::C(
            &[
                ("api_keys", F),
                ("templates", F),
                ("domain_authentication", F),
                ("alerts", F),
            ],
            &[],
        ),
        false,
    ),
    (
        "key-auditor (read-only)",
        Spec::S(&["api_keys.read"]),
        false,
    ),
    ("legacy full-access (2017)", Spec::Full, true),
    ("legacy monolith PHP app (2017)", Spec::Full, true),
    ("old magento store (2017)", Spec::Full, true),
    ("wordpress plugin (2017)", Spec::S(&["mail.send"]), true),
    ("mail-send", Spec::S(&["mail.send"]), false),
    (
        "mail-send",
        Spec::S(&["mail.send", "mail.batch.read"]),
        false,
    ),
    ("staging", Spec::Full, false),
    (
        "staging",
        Spec::C(&[("mail", F), ("templates", R)], &[]),
        false,
    ),
    (
        "qa: smoke tests",
        Spec::S(&["mail.send", "mail.batch.create", "mail.batch.read"]),
        false,
    ),
    (
        "templates: editor",
        Spec::C(&[("templates", F)], &[]),
        false,
    ),
    (
        "suppressions: sync job",
        Spec::S(&[
            "suppression.read",
            "suppression.bounces.read",
            "suppression.unsubscribes.create",
            "suppression.unsubscribes.read",
        ]),
        false,
    ),
    (
        "unsubscribe-groups manager",
        Spec::C(&[("asm_groups", F)], &[]),
        false,
    ),
    (
        "ip-warmup scheduler",
        Spec::S(&[
            "ips.read",
            "ips.warmup.create",
            "ips.warmup.delete",
            "ips.warmup.read",
            "ips.warmup.update",
        ]),
        false,
    ),
    (
        "domain-auth setup",
        Spec::C(&[("domain_authentication", F), ("reverse_dns", R)], &[]),
        false,
    ),
    (
        "alerts: PagerDuty bridge",
        Spec::C(&[("alerts", F)], &[]),
        false,
    ),
    (
        "mail-settings (read-only)",
        Spec::C(&[("mail_settings", R)], &[]),
        false,
    ),
    (
        "tracking-settings bot",
        Spec::C(&[("tracking", F)], &[]),
        false,
    ),
    (
        "subuser provisioning",
        Spec::C(&[("subusers", F)], &["api_keys.create", "api_keys.read"]),
        false,
    ),
    (
        "scheduled-sends cron",
        Spec::C(&[("scheduled_sends", F), ("mail", F)], &[]),
        false,
    ),
    (
        "security audit (read-only)",
        Spec::S(&[
            "access_settings.activity.read",
            "access_settings.whitelist.read",
            "api_keys.read",
            "user.account.read",
        ]),
        false,
    ),
    (
        "zapier integration",
        Spec::S(&["mail.send", "marketing.read"]),
        false,
    ),
];

/// (id, username, email, region, keys)
type SubuserSeed = (
    u64,
    &'static str,
    &'static str,
    Region,
    &'static [(&'static str, Spec, bool)],
);

const DEMO_SUBUSERS: &[SubuserSeed] = &[
    (
        1001,
        "acme-transactional",
        "transactional@acme-corp.example",
        Region::Global,
        &[
            (
                "transactional: order receipts",
                Spec::S(&["mail.send"]),
                false,
            ),
            (
                "transactional: password resets",
                Spec::S(&["mail.send", "templates.read"]),
                false,
            ),
            (
                "transactional: bounce processor",
                Spec::C(&[("suppressions", F)], &[]),
                false,
            ),
            ("transactional: full access", Spec::Full, false),
            (
                "transactional: stats (read-only)",
                Spec::C(&[("stats", R)], &[]),
                false,
            ),
        ],
    ),
    (
        1002,
        "acme-eu-marketing",
        "eu-marketing@acme-corp.example",
        Region::Eu,
        &[
            (
                "eu: newsletter",
                Spec::C(&[("newsletter", F)], &["mail.send"]),
                false,
            ),
            ("eu: marketing full access", Spec::Full, false),
            (
                "eu: stats (read-only)",
                Spec::C(&[("stats", R)], &[]),
                false,
            ),
            (
                "eu: GDPR suppressions",
                Spec::C(&[("suppressions", F), ("asm_groups", F)], &[]),
                false,
            ),
        ],
    ),
];

/// Customer accounts of a reseller setup: (account id, username, email, keys). The id is the
/// spec's example for `on-behalf-of: account-id <id>`.
type CustomerSeed = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, Spec, bool)],
);

const DEMO_CUSTOMERS: &[CustomerSeed] = &[(
    "abc123def456hij789klm0",
    "globex-customer",
    "it@globex.example",
    &[
        ("globex: mail", Spec::S(&["mail.send"]), false),
        ("globex: full access", Spec::Full, false),
    ],
)];

fn scopes_of(spec: &Spec, available: ScopeSet) -> ScopeSet {
    match spec {
        Spec::Full => available.minus(ScopeSet::billing_mask()),
        Spec::S(names) => ScopeSet::from_names(names).0,
        Spec::C(cats, extra) => {
            let mut set = ScopeSet::from_names(extra).0;
            for (id, level) in *cats {
                if let Some(c) = scopes::category(id) {
                    for s in c.scopes_for(*level) {
                        set.insert(s);
                    }
                }
            }
            set.intersect(available)
        }
    }
}

fn add_all(store: &mut Store, account: usize, keys: &[(&str, Spec, bool)], rng: &mut StdRng) {
    let available = store.accounts[account].available();
    for (name, spec, legacy) in keys {
        let auto = if *legacy {
            ScopeSet::legacy_auto()
        } else {
            ScopeSet::default_auto()
        };
        let scopes = scopes_of(spec, available).union(auto);
        // Ids from a fixed stream cannot collide in practice; draw again if one ever does.
        while !store.insert_key(account, name, scopes, &Secret::generate(rng), false) {}
    }
}

/// Fill a store (holding the parent and its admin key) with the chosen seed.
pub(crate) fn apply(store: &mut Store, seed: &Seed) {
    match seed {
        Seed::Empty => {}
        Seed::Demo => {
            let mut rng = StdRng::seed_from_u64(DEMO_SEED);
            add_all(store, PARENT, DEMO_PARENT, &mut rng);
            for (id, username, email, region, keys) in DEMO_SUBUSERS {
                let acct = store.add_subuser(*id, username, email, *region);
                add_all(store, acct, keys, &mut rng);
            }
            for (customer_id, username, email, keys) in DEMO_CUSTOMERS {
                let acct = store.add_customer(customer_id, username, email);
                add_all(store, acct, keys, &mut rng);
            }
        }
        Seed::Bulk(n) => bulk(store, PARENT, *n),
        Seed::Fleet { subusers, keys } => {
            for i in 1..=*subusers {
                let username = format!("fleet-{i:03}");
                let acct = store.add_subuser(
                    3000 + i as u64,
                    &username,
                    &format!("{username}@example.com"),
                    crate::api::Region::Global,
                );
                bulk(store, acct, *keys);
            }
        }
    }
}

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

/// Scope templates of bulk keys, with weights.
const BULK_TEMPLATES: &[(u32, Spec)] = &[
    (40, Spec::S(&["mail.send"])),
    (10, Spec::C(&[("stats", R)], &[])),
    (8, Spec::Full),
    (8, Spec::C(&[("templates", F)], &["mail.send"])),
    (
        6,
        Spec::C(&[("email_marketing", F), ("asm_groups", F)], &[]),
    ),
    (5, Spec::C(&[("api_keys", F)], &[])),
    (5, Spec::C(&[("suppressions", R)], &[])),
    (4, Spec::C(&[("webhook", F)], &[])),
    (3, Spec::S(&["billing.read"])),
    (3, Spec::S(&["mail.send", "mail.batch.read"])),
];

fn bulk(store: &mut Store, acct: usize, n: usize) {
    let mut rng = StdRng::seed_from_u64(BULK_SEED ^ n as u64 ^ ((acct as u64) << 32));
    let available = store.accounts[acct].available();
    let total: u32 = BULK_TEMPLATES.iter().map(|(w, _)| w).sum();
    store.accounts[acct].keys.reserve(n);
    for i in 1..=n {
        let service = SERVICES[rng.random_range(0..SERVICES.len())];
        let env = ENVS[rng.random_range(0..ENVS.len())];
        let mut pick = rng.random_range(0..total);
        let mut spec = &BULK_TEMPLATES[0].1;
        for (w, s) in BULK_TEMPLATES {
            if pick < *w {
                spec = s;
                break;
            }
            pick -= w;
        }
        let legacy = rng.random_ratio(1, 20);
        let auto = if legacy {
            ScopeSet::legacy_auto()
        } else {
            ScopeSet::default_auto()
        };
        let scopes = scopes_of(spec, available).union(auto);
        let name = format!("{service}-{env}-{i:05}");
        while !store.insert_key(acct, &name, scopes, &Secret::generate(&mut rng), false) {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::store::KeyGen;
    use super::*;
    use crate::scopes::{KeyType, classify};

    fn seeded(seed: Seed) -> Store {
        let admin = Secret::generate(&mut StdRng::seed_from_u64(3));
        let mut s = Store::new(
            admin,
            PARENT_NAME,
            KeyGen {
                seed: Some(1),
                generated: 0,
            },
        );
        apply(&mut s, &seed);
        s
    }

    #[test]
    fn demo_seed_is_deterministic_and_varied() {
        let a = seeded(Seed::Demo);
        let b = seeded(Seed::Demo);
        let ids = |s: &Store| -> Vec<(String, String, Vec<String>)> {
            s.accounts
                .iter()
                .flat_map(|acct| {
                    acct.keys
                        .iter()
                        .map(|k| (k.id.clone(), k.name.clone(), k.scopes.to_strings()))
                })
                .collect()
        };
        assert_eq!(ids(&a), ids(&b));

        let parent = &a.accounts[PARENT];
        assert_eq!(parent.username, "acme-corp");
        assert_eq!(parent.keys.len(), 45, "admin + 44");
        assert!(parent.keys[0].admin);
        let types: Vec<KeyType> = parent.keys[1..]
            .iter()
            .map(|k| classify(&k.scopes.to_strings()).key_type)
            .collect();
        let count = |t| types.iter().filter(|x| **x == t).count();
        assert!(count(KeyType::Full) >= 5, "{types:?}");
        assert!(count(KeyType::Custom) >= 25, "{types:?}");
        assert_eq!(count(KeyType::Billing), 2);
        assert!(
            parent
                .keys
                .iter()
                .all(|k| !classify(&k.scopes.to_strings()).mixed_billing || k.admin)
        );
        let legacy = parent
            .keys
            .iter()
            .filter(|k| k.scopes.contains("sender_verification_legacy"))
            .count();
        assert_eq!(legacy, 4);
        for needle in ["prod-mail-key (LEAKED?)", "test", "tmp-debug"] {
            assert!(parent.keys.iter().any(|k| k.name == needle), "{needle}");
        }
        let mut names: Vec<&str> = parent.keys.iter().map(|k| k.name.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert!(names.len() < before, "duplicate names exist");
        // every key has at least one granted scope from the catalog
        for k in &parent.keys {
            assert!(!k.scopes.granted().is_empty(), "{}", k.name);
        }

        assert_eq!(a.accounts.len(), 4);
        let customer = &a.accounts[3];
        assert_eq!(
            customer.customer_id.as_deref(),
            Some("abc123def456hij789klm0")
        );
        assert!(!customer.is_subuser() && customer.keys.len() == 2);
        let tx = &a.accounts[1];
        let eu = &a.accounts[2];
        assert_eq!(
            (tx.id, tx.username.as_str(), tx.region),
            (1001, "acme-transactional", Region::Global)
        );
        assert_eq!(
            (eu.id, eu.username.as_str(), eu.region),
            (1002, "acme-eu-marketing", Region::Eu)
        );
        assert_eq!(tx.keys.len(), 5);
        assert_eq!(eu.keys.len(), 4);
        for k in tx.keys.iter().chain(&eu.keys) {
            assert!(!k.scopes.contains("billing.read"));
            assert!(!k.scopes.names().any(|s| s.starts_with("subusers.")));
        }
    }

    #[test]
    fn empty_and_bulk_seeds() {
        let e = seeded(Seed::Empty);
        assert_eq!(e.accounts.len(), 1);
        assert_eq!(e.accounts[PARENT].keys.len(), 1);

        let b = seeded(Seed::Bulk(500));
        assert_eq!(b.accounts[PARENT].keys.len(), 501);
        let b2 = seeded(Seed::Bulk(500));
        assert_eq!(
            b.accounts[PARENT].keys[250].id,
            b2.accounts[PARENT].keys[250].id
        );
        let types: std::collections::BTreeSet<KeyType> = b.accounts[PARENT].keys[1..]
            .iter()
            .map(|k| classify(&k.scopes.to_strings()).key_type)
            .collect();
        assert_eq!(types.len(), 3);
    }
}
