//! The one-shot commands' dispatcher: each command lives in its own file (`keys`, `revoke`,
//! `account`, `reports`, `journal_cmd`), all on the shared `context`.

use super::{Cli, CliError, Command};
use super::{account::*, context::*, journal_cmd::*, keys::*, reports::*, revoke::*};
use crate::config;
use crate::journal::Journal;

pub async fn run(cli: Cli) -> Result<u8, CliError> {
    let Some(command) = cli.command else {
        return super::dashboard::run_configured(&cli.global).await;
    };
    match command {
        Command::Sim(args) => return super::dashboard::run_sim(args, cli.global.json).await,
        Command::Demo(args) => return super::dashboard::run_demo(&cli.global, args).await,
        Command::Scopes { format } => {
            return scopes_catalog(format.resolve(cli.global.json, None)?);
        }
        Command::Completions { .. } | Command::Man { .. } => return Ok(0),
        Command::Journal {
            limit,
            since,
            context,
            format,
        } => {
            let format = format.resolve(cli.global.json, None)?;
            let settings = config::resolve(&cli.global.overrides())?;
            let select = super::journal_cmd::Select::new(limit, since.as_deref(), context)?;
            return show_journal(&Journal::new(settings.journal), format, &select);
        }
        Command::History(args) => {
            let format = args.format.resolve(cli.global.json, None)?;
            let settings = config::resolve(&cli.global.overrides())?;
            return super::inventory_cmd::history(settings.inventory.as_deref(), &args, format);
        }
        Command::Inventory { action } => {
            let settings = config::resolve(&cli.global.overrides())?;
            let path = settings.inventory.as_deref();
            return match action {
                super::InventoryAction::Path => {
                    super::inventory_cmd::inventory_path(path, cli.global.json)
                }
                super::InventoryAction::Clear { yes } => {
                    super::inventory_cmd::inventory_clear(path, yes, cli.global.json)
                }
            };
        }
        _ => {}
    }
    if cli.global.offline {
        return super::offline::run(&cli.global, command);
    }
    super::init_stderr_logging();
    let mut ctx = Ctx::new(&cli.global)?;
    ctx.follow_region().await;
    let needs = needed_scope(&command);
    let result = dispatch(&ctx, command).await;
    ctx.close_inventory();
    let result = match (result, needs) {
        (Err(e), Some(scope)) if forbidden(&e) => Err(with_scope_hint(&ctx, e, scope).await),
        (result, _) => result,
    };
    result.map_err(|e| with_words(&ctx, e))
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

/// The scope a command cannot work without (the first request it sends needs it).
fn needed_scope(command: &Command) -> Option<&'static str> {
    Some(match command {
        Command::List(_)
        | Command::Show { .. }
        | Command::Diff { .. }
        | Command::Audit(_)
        | Command::Export(_) => "api_keys.read",
        // create and recreate list the keys first (to settle an unknown outcome), but the
        // POST is what a key without the scope is refused
        Command::Create(_) | Command::Recreate { .. } | Command::Rotate(_) => "api_keys.create",
        Command::Rename { .. } | Command::SetScopes { .. } => "api_keys.update",
        Command::Revoke(_) => "api_keys.delete",
        Command::Subusers { .. } => "subusers.read",
        _ => return None,
    })
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

async fn dispatch(ctx: &Ctx, command: Command) -> Result<u8, CliError> {
    match command {
        Command::List(args) => list(ctx, args).await,
        Command::Show { id } => show(ctx, &id).await,
        Command::Create(args) => create(ctx, args).await,
        Command::Rename { id, name, dry } => rename(ctx, &id, &name, dry).await,
        Command::SetScopes { id, scopes, dry } => set_scopes(ctx, &id, &scopes, dry).await,
        Command::Revoke(args) => revoke(ctx, args).await,
        Command::Rotate(args) => super::rotate::rotate(ctx, args).await,
        Command::Whoami => whoami(ctx).await,
        Command::Audit(args) => audit(ctx, args).await,
        Command::Export(args) => super::export::export(ctx, args).await,
        Command::Diff { a, b, preset } => diff(ctx, &a, b.as_deref(), preset.as_deref()).await,
        Command::Recreate {
            id,
            into_current,
            yes,
            dry,
        } => recreate(ctx, &id, into_current, yes, dry).await,
        Command::Subusers { format } => subusers(ctx, format.resolve(ctx.json, None)?).await,
        Command::Sim(_)
        | Command::Demo(_)
        | Command::Scopes { .. }
        | Command::Completions { .. }
        | Command::Man { .. }
        | Command::Journal { .. }
        | Command::History(_)
        | Command::Inventory { .. } => Ok(0),
    }
}
