//! How a subcommand runs. Each is one variant of [`super::Command`] holding its arguments, and
//! one function: a command that talks to SendGrid implements [`Online`] beside its function
//! (in its family's file: `keys`, `revoke`, `account`, `reports`, `journal_cmd`, …), declaring
//! there the scope it cannot work without; a command answered without SendGrid implements
//! [`Run`] itself. The dispatch is made from the variant list (`subcommands!` in `cli/mod.rs`).

use super::context::Ctx;
use super::{CliError, Global};

/// One subcommand, run.
pub(crate) trait Run: Sized {
    /// Whether it talks to SendGrid (`--offline` answers only those from the inventory).
    const ONLINE: bool = false;
    async fn run(self, global: &Global) -> Result<u8, CliError>;
}

/// A subcommand that talks to SendGrid: its function, on the shared context, and the scope
/// its first request needs.
pub(crate) trait Online: Sized {
    /// The scope the command cannot work without: a 403 then names it and the access level
    /// that grants it (`None`: no one scope, e.g. `whoami`).
    const SCOPE: Option<&'static str>;
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError>;
}

impl<T: Online> Run for T {
    const ONLINE: bool = true;
    async fn run(self, global: &Global) -> Result<u8, CliError> {
        super::init_stderr_logging();
        let mut ctx = Ctx::new(global)?;
        ctx.follow_region().await;
        let result = Online::run(self, &ctx).await;
        ctx.close_inventory();
        let result = match (result, T::SCOPE) {
            (Err(e), Some(scope)) if forbidden(&e) => Err(with_scope_hint(&ctx, e, scope).await),
            (result, _) => result,
        };
        result.map_err(|e| with_words(&ctx, e))
    }
}

/// An API error without a more specific hint gets the one the dashboard shows too
/// ([`crate::api::ApiError::in_words`]: what to try, for this endpoint).
fn with_words(ctx: &Ctx, e: CliError) -> CliError {
    match e {
        CliError::Api {
            context,
            error,
            hint: None,
        } => {
            let hint = error.in_words(&ctx.client.endpoint()).hint;
            CliError::Api {
                context,
                error,
                hint,
            }
        }
        other => other,
    }
}

fn forbidden(e: &CliError) -> bool {
    matches!(e, CliError::Api { error, hint: None, .. } if error.status() == Some(403))
}

/// A 403 says what to do: when the calling key lacks the scope the command needs (its own
/// `GET /v3/scopes` tells), name the scope and the access level that grants it.
async fn with_scope_hint(ctx: &Ctx, e: CliError, scope: &'static str) -> CliError {
    let Ok(mine) = ctx.client.my_scopes().await else {
        return e;
    };
    let Some(hint) = crate::scopes::missing_scope_hint(scope, mine.iter().map(String::as_str))
    else {
        return e;
    };
    match e {
        CliError::Api { context, error, .. } => CliError::Api {
            context,
            error,
            hint: Some(hint),
        },
        other => other,
    }
}
