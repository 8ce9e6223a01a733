//! The keys a command acts on, chosen once for every command that takes ids or `--filter`
//! (`revoke`, `rotate`): each key once (an id given twice, or in two spellings, counts once),
//! in the order given; a `--filter` over every key's scopes, naming the keys it could not read
//! (whether they match is unknown: the command then exits non-zero).

use std::collections::HashSet;

use super::CliError;
use super::context::*;
use crate::api::{ApiKeyId, KeyDetail};
use crate::output::clean;
use crate::query::{KeyFacts, Query};

/// What [`select`] found.
#[derive(Debug, Default)]
pub(crate) struct Selection {
    /// The keys to act on, each once, in the order given (ids) or listed (filter).
    pub keys: Vec<KeyDetail>,
    /// Ids given that SendGrid says are not there (its JSON 404): already revoked, or never
    /// existed.
    pub not_found: Vec<ApiKeyId>,
    /// Keys that could not be read, and why: for a filter, whether they match is unknown.
    pub unreadable: Vec<(ApiKeyId, String)>,
}

impl Selection {
    /// Some key could not be read, or an id given is not there: the command must not end 0.
    pub fn incomplete(&self) -> bool {
        !self.unreadable.is_empty() || !self.not_found.is_empty()
    }

    /// Say on stderr which keys could not be read (`what` follows "could not").
    pub fn say_unreadable(&self, what: &str) {
        if self.unreadable.is_empty() {
            return;
        }
        crate::errln!(
            "sgkeys: {} could not be read, so {what}:",
            crate::text::plural(self.unreadable.len(), "key", "keys")
        );
        for (id, why) in &self.unreadable {
            crate::errln!("  {id}  {}", clean(why));
        }
    }
}

/// Parse a `--filter` query; an empty or invalid one is a usage error (an empty one would
/// match every key).
pub(crate) fn parse_filter(filter: &str) -> Result<Query, CliError> {
    let query = Query::parse(filter);
    if query.is_empty() {
        return Err(CliError::Usage(
            "--filter is empty: it would match every key".into(),
        ));
    }
    if let Some(bad) = query.invalid() {
        return Err(CliError::Usage(format!(
            "--filter: '{}' is not a valid term",
            clean(bad)
        )));
    }
    Ok(query)
}

/// The keys named by `ids` (each once), or matching `filter` in the current context.
pub(crate) async fn select(
    ctx: &Ctx,
    ids: &[String],
    filter: Option<&str>,
) -> Result<Selection, CliError> {
    let mut sel = Selection::default();
    let (ids, query) = match filter {
        Some(f) => {
            let query = parse_filter(f)?;
            let keys = ctx
                .list_keys(None)
                .await
                .map_err(|e| CliError::api("listing keys", e))?;
            let ids: Vec<ApiKeyId> = keys.into_iter().map(|k| k.api_key_id).collect();
            (unique(ids), Some(query))
        }
        None => {
            let ids: Vec<ApiKeyId> = ids.iter().map(|i| check_id(i)).collect::<Result<_, _>>()?;
            (unique(ids), None)
        }
    };
    let details = fetch_details(ctx, &ids, "reading keys").await;
    for (id, d) in ids.into_iter().zip(details) {
        match d {
            Ok(d) => {
                if query.as_ref().is_none_or(|q| q.matches(&KeyFacts::new(&d))) {
                    sel.keys.push(d);
                }
            }
            // listed, then revoked before it was read: not a key any more. Only SendGrid's own
            // 404 says so: a gateway's page says nothing about the key (unreadable, below).
            Err(e) if e.gone_by_sendgrid() && query.is_some() => {}
            Err(e) if e.gone_by_sendgrid() => sel.not_found.push(id),
            // the calling key may not read keys: nothing else will go better
            Err(e) if matches!(e.status(), Some(401 | 403)) => {
                return Err(CliError::api(format!("reading key {id}"), e));
            }
            Err(e) => sel.unreadable.push((id, e.short())),
        }
    }
    Ok(sel)
}

/// Each id once, in the order first given.
fn unique(ids: Vec<ApiKeyId>) -> Vec<ApiKeyId> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|i| seen.insert(i.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_count_once_in_the_order_given() {
        let ids = ["b", "a", "b", "a", "c"]
            .map(|s| ApiKeyId(s.into()))
            .to_vec();
        let got: Vec<String> = unique(ids).into_iter().map(|i| i.0).collect();
        assert_eq!(got, ["b", "a", "c"]);
    }

    #[test]
    fn empty_and_invalid_filters_are_usage_errors() {
        assert!(matches!(parse_filter("  "), Err(CliError::Usage(_))));
        assert!(parse_filter("type:full").is_ok());
    }
}
