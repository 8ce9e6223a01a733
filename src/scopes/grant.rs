//! What to say when a request was refused (403) for a scope the calling key lacks: the scope,
//! the category and access level that grant it, and where. One wording for the CLI and the
//! dashboard.

/// The hint for a 403 on a request that needs `scope`, when the calling key's own scopes
/// (`GET /v3/scopes`) are `held` and do not include it; `None` when the key holds it (the 403
/// has another cause) or the scope is not in the catalog.
pub fn missing_scope_hint<'a>(
    scope: &str,
    mut held: impl Iterator<Item = &'a str>,
) -> Option<String> {
    if held.any(|s| s == scope) {
        return None;
    }
    let category = super::categories()
        .iter()
        .find(|c| c.scopes.contains(&scope))?;
    let level = if category.read.contains(&scope) {
        "Read Access"
    } else {
        "Full Access"
    };
    Some(format!(
        "this key lacks {scope}: give it {}: {level} in SendGrid's App (Settings > API Keys > \
         Edit), or use a key that has it",
        category.label
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_scope_and_what_grants_it() {
        let held = ["mail.send", "stats.read"];
        let h = missing_scope_hint("api_keys.read", held.iter().copied()).unwrap_or_default();
        assert!(
            h.starts_with("this key lacks api_keys.read: give it API Keys: Read Access"),
            "{h}"
        );
        let h = missing_scope_hint("api_keys.delete", held.iter().copied()).unwrap_or_default();
        assert!(h.contains("API Keys: Full Access"), "{h}");
        assert_eq!(missing_scope_hint("mail.send", held.iter().copied()), None);
        assert_eq!(
            missing_scope_hint("no.such.scope", held.iter().copied()),
            None
        );
    }
}
