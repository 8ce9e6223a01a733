//! The key filter: the dashboard's `/` and the CLI's `--filter`.
//!
//! A query is space-separated terms, all of which must match; `!` negates a term:
//! - `text`: name or id contains it (case-insensitive);
//! - `scope:<glob>`: the key holds a scope matching the glob (`scope:mail.*`, `scope:api_keys.create`);
//! - `type:full|custom|billing`;
//! - `risk:high|medium|low` (at least that severity);
//! - a whole `SG.…` key: the key with that id (the secret itself is never kept).

use crate::api::KeyDetail;
use crate::risk::Severity;
use crate::scopes::{self, KeyType};

/// What a query asks of a key; implemented by the dashboard's entries and by [`KeyFacts`].
pub trait Candidate {
    /// Name and id, lowercased, for text terms.
    fn haystack(&self) -> &str;
    fn id(&self) -> &str;
    /// Whether the key holds a granted scope matching `glob`; None while its scopes are unknown.
    fn holds(&self, glob: &str) -> Option<bool>;
    fn key_type(&self) -> Option<KeyType>;
    fn max_risk(&self) -> Option<Severity>;
}

/// A key read in full (name and scopes), for filtering outside the dashboard.
#[derive(Debug, Clone)]
pub struct KeyFacts {
    haystack: String,
    id: String,
    scopes: Vec<String>,
    key_type: KeyType,
    risk: Option<Severity>,
}

impl KeyFacts {
    pub fn new(d: &KeyDetail) -> Self {
        let class = scopes::classify(&d.scopes);
        let findings = crate::risk::scope_findings(&d.scopes, &class);
        KeyFacts {
            haystack: format!(
                "{}\u{1f}{}",
                d.name.to_lowercase(),
                d.api_key_id.0.to_lowercase()
            ),
            id: d.api_key_id.0.clone(),
            scopes: d.scopes.clone(),
            key_type: class.key_type,
            risk: crate::risk::combine(&findings, &d.name, None).max(),
        }
    }
}

impl Candidate for KeyFacts {
    fn haystack(&self) -> &str {
        &self.haystack
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn holds(&self, glob: &str) -> Option<bool> {
        Some(
            self.scopes
                .iter()
                .any(|s| scopes::glob_match(glob, s) && !scopes::is_auto_assigned(s)),
        )
    }
    fn key_type(&self) -> Option<KeyType> {
        Some(self.key_type)
    }
    fn max_risk(&self) -> Option<Severity> {
        self.risk
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Text(String),
    Scope(String),
    Type(KeyType),
    Risk(Severity),
    /// Exact id (from a pasted key).
    Id(String),
    /// A term that could not be parsed (shown, matches nothing).
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub terms: Vec<(bool, Term)>,
}

impl Query {
    pub fn parse(text: &str) -> Self {
        let mut terms = Vec::new();
        for raw in text.split_whitespace() {
            let (negate, tok) = match raw.strip_prefix('!') {
                Some(rest) if !rest.is_empty() => (true, rest),
                _ => (false, raw),
            };
            let term = if let Ok(id) = crate::secret::key_id_of(tok) {
                Term::Id(id)
            } else if let Some(g) = tok.strip_prefix("scope:") {
                Term::Scope(g.to_lowercase())
            } else if let Some(t) = tok.strip_prefix("type:") {
                match t.to_lowercase().as_str() {
                    "full" | "f" => Term::Type(KeyType::Full),
                    "custom" | "c" | "restricted" => Term::Type(KeyType::Custom),
                    "billing" | "b" => Term::Type(KeyType::Billing),
                    _ => Term::Invalid(tok.to_owned()),
                }
            } else if let Some(r) = tok.strip_prefix("risk:") {
                match r.parse::<Severity>() {
                    Ok(s) => Term::Risk(s),
                    Err(_) => Term::Invalid(tok.to_owned()),
                }
            } else if let Some(id) = tok.strip_prefix("id:") {
                Term::Id(id.to_owned())
            } else {
                Term::Text(tok.to_lowercase())
            };
            terms.push((negate, term));
        }
        Query { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether the query needs scopes (so keys whose scopes are not loaded yet cannot match).
    pub fn needs_scopes(&self) -> bool {
        self.terms
            .iter()
            .any(|(_, t)| matches!(t, Term::Scope(_) | Term::Type(_)))
    }

    /// Whether a key matches. Keys whose scopes are unknown match no scope/type term (negated
    /// or not: unknown is not "not held").
    pub fn matches<C: Candidate + ?Sized>(&self, e: &C) -> bool {
        self.terms.iter().all(|(negate, term)| {
            let hit = match term {
                Term::Text(t) => e.haystack().contains(t.as_str()),
                Term::Id(id) => e.id() == id,
                Term::Scope(glob) => match e.holds(glob) {
                    Some(h) => h,
                    None => return false,
                },
                Term::Type(t) => match e.key_type() {
                    Some(k) => k == *t,
                    None => return false,
                },
                Term::Risk(min) => e.max_risk().is_some_and(|m| m >= *min),
                Term::Invalid(_) => false,
            };
            hit != *negate
        })
    }

    /// A term that did not parse, for the status line.
    pub fn invalid(&self) -> Option<&str> {
        self.terms.iter().find_map(|(_, t)| match t {
            Term::Invalid(s) => Some(s.as_str()),
            _ => None,
        })
    }
}
