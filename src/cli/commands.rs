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
        Command::Scopes => return scopes_catalog(cli.global.json),
        Command::Completions { .. } => return Ok(0),
        Command::Journal { limit } => {
            let settings = config::resolve(&cli.global.overrides())?;
            return show_journal(&Journal::new(settings.journal), cli.global.json, limit);
        }
        _ => {}
    }
    super::init_stderr_logging();
    let ctx = Ctx::new(&cli.global)?;
    match command {
        Command::List(args) => list(&ctx, args).await,
        Command::Show { id } => show(&ctx, &id).await,
        Command::Create(args) => create(&ctx, args).await,
        Command::Rename { id, name } => rename(&ctx, &id, &name).await,
        Command::SetScopes { id, scopes } => set_scopes(&ctx, &id, &scopes).await,
        Command::Revoke(args) => revoke(&ctx, args).await,
        Command::Whoami => whoami(&ctx).await,
        Command::Audit(args) => audit(&ctx, args).await,
        Command::Diff { a, b, preset } => diff(&ctx, &a, b.as_deref(), preset.as_deref()).await,
        Command::Recreate { id } => recreate(&ctx, &id).await,
        Command::Subusers => subusers(&ctx).await,
        Command::Sim(_)
        | Command::Demo(_)
        | Command::Scopes
        | Command::Completions { .. }
        | Command::Journal { .. } => Ok(0),
    }
}
