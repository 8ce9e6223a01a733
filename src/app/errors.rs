//! What the dashboard says about a failed request, from the same place as the CLI: the error in
//! the CLI's words ([`describe`]), and for a 403 the scope the calling key lacks and how to grant
//! it ([`crate::scopes::missing_scope_hint`], the CLI's hint), from the key's own scopes.

use super::App;
use crate::api::ApiError;

/// An error in the CLI's words, on one line.
pub fn describe(e: &ApiError) -> String {
    crate::text::clean(&e.to_string())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The scope hint for a 403 on a request that needs `needs`, when the key's own scopes are
/// known and lack it.
pub(crate) fn scope_hint(app: &App, e: &ApiError, needs: Option<&str>) -> Option<String> {
    if !matches!(e, ApiError::Forbidden(_)) {
        return None;
    }
    let mine = app.my_scopes.value()?;
    crate::scopes::missing_scope_hint(needs?, mine.iter().map(String::as_str))
}

/// [`describe`], then the scope hint (a 403 for a scope the key lacks).
pub(crate) fn explain(app: &App, e: &ApiError, needs: Option<&str>) -> String {
    match scope_hint(app, e, needs) {
        Some(hint) => format!("{} — {hint}", describe(e)),
        None => describe(e),
    }
}
