//! Named scope presets for creating keys and for least-privilege trims.

use std::collections::BTreeSet;

use crate::scopes;

/// A named scope set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub description: &'static str,
    /// Specs in `scopes::expand_specs` syntax.
    pub specs: &'static [&'static str],
}

pub static PRESETS: &[Preset] = &[
    Preset {
        name: "Mail Send only",
        description: "send mail, nothing else (CI/CD, app servers)",
        specs: &["mail.send"],
    },
    Preset {
        name: "Mail Send + Scheduled Sends",
        description: "send, batch and schedule mail",
        specs: &["mail=full", "scheduled_sends=full"],
    },
    Preset {
        name: "Stats read-only",
        description: "dashboards and reporting",
        specs: &[
            "stats=read",
            "categories.stats.read",
            "categories.stats.sums.read",
        ],
    },
    Preset {
        name: "Webhooks",
        description: "manage Event Webhook and Inbound Parse settings",
        specs: &["webhook=full"],
    },
    Preset {
        name: "Suppressions manager",
        description: "bounces, blocks, spam reports, unsubscribe groups",
        specs: &["suppressions=full", "asm_groups=full"],
    },
    Preset {
        name: "Templates",
        description: "manage transactional templates",
        specs: &["templates=full"],
    },
    Preset {
        name: "Key admin",
        description: "manage API keys (can mint keys: high risk)",
        specs: &["api_keys=full"],
    },
    Preset {
        name: "Read-only everything",
        description: "every category at Read Access, no billing",
        specs: &[
            "alerts=read",
            "api_keys=read",
            "asm_groups=read",
            "categories=read",
            "clients=read",
            "credentials=read",
            "ips=read",
            "mail_settings=read",
            "mail=read",
            "marketing_campaigns_legacy=read",
            "newsletter=read",
            "partner_settings=read",
            "scheduled_sends=read",
            "stats=read",
            "subusers=read",
            "suppressions=read",
            "teammates=read",
            "templates=read",
            "tracking=read",
            "user_settings=read",
            "webhook=read",
            "domain_authentication=read",
            "reverse_dns=read",
        ],
    },
];

impl Preset {
    /// The preset's scopes.
    pub fn scopes(&self) -> BTreeSet<String> {
        scopes::expand_specs(self.specs).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_expands() {
        for p in PRESETS {
            let s = scopes::expand_specs(p.specs);
            assert!(s.as_ref().is_ok_and(|s| !s.is_empty()), "{}: {s:?}", p.name);
        }
        assert_eq!(
            PRESETS[0].scopes().into_iter().collect::<Vec<_>>(),
            vec!["mail.send"]
        );
        // read-only everything really is read-only
        assert!(PRESETS[7].scopes().iter().all(|s| s.ends_with(".read")));
    }
}
