//! The list's sort order, and the filter query ([`crate::query`]) applied to dashboard entries.

use std::cmp::Ordering;

pub use crate::query::{Candidate, Query, Term};
use crate::risk::Severity;
use crate::scopes::{self, KeyType, Level};

use super::KeyEntry;

impl Candidate for KeyEntry {
    fn haystack(&self) -> &str {
        &self.haystack
    }
    fn id(&self) -> &str {
        self.id.as_str()
    }
    fn holds(&self, glob: &str) -> Option<bool> {
        let info = self.info()?;
        Some(
            info.iter()
                .any(|s| scopes::glob_match(glob, s) && !scopes::is_auto_assigned(s)),
        )
    }
    fn key_type(&self) -> Option<KeyType> {
        self.info().map(|i| i.key_type)
    }
    fn max_risk(&self) -> Option<Severity> {
        self.risk.max()
    }
}

/// Names compared case-insensitively, as `a.to_lowercase().cmp(&b.to_lowercase())`, without
/// allocating when both are ASCII (sorting 10 000 keys by name makes ~130 000 comparisons).
fn cmp_lowercase(a: &str, b: &str) -> Ordering {
    if !(a.is_ascii() && b.is_ascii()) {
        return a.to_lowercase().cmp(&b.to_lowercase());
    }
    let (x, y) = (a.as_bytes(), b.as_bytes());
    for (p, q) in x.iter().zip(y) {
        if p != q {
            let (p, q) = (p.to_ascii_lowercase(), q.to_ascii_lowercase());
            if p != q {
                return p.cmp(&q);
            }
        }
    }
    x.len().cmp(&y.len())
}

/// List order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// As the API returned them (creation order).
    #[default]
    Api,
    Name,
    Type,
    Risk,
    /// By the access level in one permission category (its index in the catalog): Full,
    /// Partial, Read, No, unknown last. Set from the permission matrix's focused column.
    Level(u8),
}

impl SortKey {
    /// The next of the list's `s` cycle (a category sort goes back to the start of it).
    pub fn next(self) -> Self {
        match self {
            SortKey::Api => SortKey::Name,
            SortKey::Name => SortKey::Type,
            SortKey::Type => SortKey::Risk,
            SortKey::Risk | SortKey::Level(_) => SortKey::Api,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Api => "created",
            SortKey::Name => "name",
            SortKey::Type => "type",
            SortKey::Risk => "risk",
            SortKey::Level(i) => crate::scopes::categories()
                .get(usize::from(i))
                .map_or("access", |c| c.label),
        }
    }
    /// The order depends on the scopes (it changes while they load).
    pub fn needs_scopes(self) -> bool {
        matches!(self, SortKey::Type | SortKey::Risk | SortKey::Level(_))
    }
}

/// Compare two entries for a sort key (stable ties by API order are the caller's job).
pub fn compare(key: SortKey, a: &KeyEntry, b: &KeyEntry) -> Ordering {
    match key {
        SortKey::Api => Ordering::Equal,
        SortKey::Name => cmp_lowercase(&a.name, &b.name),
        // Full, Billing, Custom, unknown last
        SortKey::Type => {
            let rank = |e: &KeyEntry| match e.key_type() {
                Some(KeyType::Full) => 0,
                Some(KeyType::Billing) => 1,
                Some(KeyType::Custom) => 2,
                None => 3,
            };
            rank(a).cmp(&rank(b))
        }
        // riskiest first
        SortKey::Risk => b.risk.score().cmp(&a.risk.score()),
        // most access first, unknown last
        SortKey::Level(i) => {
            let rank = |e: &KeyEntry| match e.info().map(|k| k.levels.get(usize::from(i))) {
                Some(Level::Full) => 0,
                Some(Level::Partial) => 1,
                Some(Level::Read) => 2,
                Some(Level::No) => 3,
                None => 4,
            };
            rank(a).cmp(&rank(b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_terms() {
        let q = Query::parse("ci !old scope:Mail.* type:full risk:high bogus:x type:nope");
        assert_eq!(q.terms[0], (false, Term::Text("ci".into())));
        assert_eq!(q.terms[1], (true, Term::Text("old".into())));
        assert_eq!(q.terms[2], (false, Term::Scope("mail.*".into())));
        assert_eq!(q.terms[3], (false, Term::Type(KeyType::Full)));
        assert_eq!(q.terms[4], (false, Term::Risk(Severity::High)));
        assert_eq!(q.terms[5], (false, Term::Text("bogus:x".into())));
        assert_eq!(q.invalid(), Some("type:nope"));
        let q =
            Query::parse("SG.qfTQ6KG0QBiwWdJ0-pCLCA.abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE");
        assert_eq!(
            q.terms,
            vec![(false, Term::Id("qfTQ6KG0QBiwWdJ0-pCLCA".into()))]
        );
        assert!(Query::parse("  ").is_empty());
        assert_eq!(
            Query::parse("!").terms,
            vec![(false, Term::Text("!".into()))]
        );
    }

    /// The allocation-free name order agrees with `to_lowercase` ordering.
    #[test]
    fn name_order_fast_path_agrees() {
        let names = [
            "",
            "a",
            "A",
            "ab",
            "aB",
            "Ab",
            "b",
            "ci-deploy",
            "CI-deploy",
            "ci_deploy",
            "Zeta",
            "zeta",
            "Ärger",
            "ärger",
            "ΣΑΣ",
            "σας",
            "[x]",
            "`x`",
            "~",
            "Z~",
        ];
        for a in names {
            for b in names {
                assert_eq!(
                    cmp_lowercase(a, b),
                    a.to_lowercase().cmp(&b.to_lowercase()),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn name_order_is_the_same(a in "[a-cA-C_ ~Σσ]{0,6}", b in "[a-cA-C_ ~Σσ]{0,6}") {
            proptest::prop_assert_eq!(cmp_lowercase(&a, &b), a.to_lowercase().cmp(&b.to_lowercase()));
        }
    }
}
