//! The command-line entry points that open the dashboard (`sgkeys`, `sgkeys demo`) and run the
//! simulator (`sgkeys sim`): settings and flags in, a client and a [`DashOptions`] out, then the
//! event loop of [`crate::tui`].

use std::path::PathBuf;
use std::time::Duration;

use super::commands::Run;
use super::kept::Kept;
use super::{CliError, DemoArgs, Global, SimArgs};
use crate::api::{Client, ClientOptions};
use crate::app::Context;
use crate::config::{self, ThemeChoice};
use crate::journal::Journal;
use crate::sim::{self, SimConfig};
use crate::tui::{DashOptions, Wiring, run_dashboard};

/// Options from the global flags (mouse, log file) for a context, journal, refresh and theme.
fn dash_options(
    global: &Global,
    ctx: Context,
    journal: PathBuf,
    refresh_secs: u64,
    theme: ThemeChoice,
    inventory: Option<&Kept>,
) -> Result<DashOptions, CliError> {
    // the user's keys: a mistake in [keys] stops here, before the screen changes
    let (path, settings) = config::key_settings(&global.overrides())?;
    let keymap = crate::app::keymap::user::build(&settings).map_err(|e| {
        let file = path.map(|p| p.display().to_string()).unwrap_or_default();
        CliError::Usage(format!("config file {file}: [keys]: {e}"))
    })?;
    {
        Ok(DashOptions {
            ctx,
            journal: Some(Journal::new(journal)),
            inventory: inventory.map(|k| k.rec.clone()),
            recall: inventory.map(|k| crate::worker::Recall {
                path: k.path().to_path_buf(),
                scope: k.rec.scope().clone(),
                offline: false,
                max_age: global.max_age,
            }),
            theme,
            mouse: global.mouse,
            log_file: global
                .log_file
                .clone()
                .unwrap_or_else(|| config::state_dir().join("sgkeys.log")),
            refresh_secs,
            keymap,
        })
    }
}

/// `sgkeys` with no command: the dashboard on the configured account.
pub async fn run_configured(global: &Global) -> Result<u8, CliError> {
    let settings = config::resolve(&global.overrides())?;
    let key = settings.api_key()?;
    let caller_key_id = key.key_id().map(str::to_owned);
    let account = settings
        .profile
        .clone()
        .unwrap_or_else(|| "account".to_owned());
    let wiring = Wiring::new();
    let client = super::context::client_for(
        &settings,
        key,
        ClientOptions {
            observer: Some(wiring.observer()),
            ..Default::default()
        },
    )?;
    let ctx = Context {
        base_url: settings.base_url.clone(),
        account,
        on_behalf_of: settings.on_behalf_of.clone(),
        read_only: settings.read_only || global.offline,
        demo: false,
        caller_key_id,
        // the configured base URL already matches --region / the profile
        region: None,
    };
    let theme = theme(global, settings.profile_theme.as_deref())?;
    if global.offline {
        // the inventory alone, read-only: nothing written, nothing sent
        let recall = super::offline::recall(&settings)?;
        let mut opts = dash_options(
            global,
            ctx,
            settings.journal.clone(),
            settings.refresh_secs,
            theme,
            None,
        )?;
        opts.recall = Some(recall);
        return run_dashboard(client, opts, wiring)
            .await
            .map_err(|e| CliError::Io(e.to_string()));
    }
    let inventory = Kept::open(
        settings.inventory.as_deref(),
        &settings.base_url,
        client.caller_key_id(),
    );
    let opts = dash_options(
        global,
        ctx,
        settings.journal.clone(),
        settings.refresh_secs,
        theme,
        inventory.as_ref(),
    )?;
    let code = run_dashboard(client, opts, wiring)
        .await
        .map_err(|e| CliError::Io(e.to_string()));
    if let Some(k) = inventory {
        k.close();
    }
    code
}

impl Run for DemoArgs {
    async fn run(self, global: &Global) -> Result<u8, CliError> {
        run_demo(global, self).await
    }
}

/// `sgkeys demo`: the dashboard on an in-process simulator with demo data.
pub async fn run_demo(global: &Global, args: DemoArgs) -> Result<u8, CliError> {
    let seed = args.seed.parse().map_err(CliError::Usage)?;
    // the demo reads no account settings from the config file (only its [keys]): the theme
    // from a flag, the environment, or auto
    let theme = theme(global, None)?;
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return Err(CliError::Usage(
            "--fail-rate must be between 0 and 1".into(),
        ));
    }
    let cfg = SimConfig {
        seed,
        latency: Duration::from_millis(args.latency_ms),
        revoke_delay: Duration::from_millis(args.budget.revoke_delay_ms),
        rate_limit: args.budget.rate_limit,
        create_rate: args.budget.create_rate,
        fail_rate: args.fail_rate,
        hang: Duration::from_secs(3),
        ..SimConfig::default()
    };
    let localhost = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let sim = sim::start(cfg, localhost)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let wiring = Wiring::new();
    let key = sim.admin_key().clone();
    let caller_key_id = key.key_id().map(str::to_owned);
    let client = Client::new(
        key,
        ClientOptions {
            base_url: sim.base_url(),
            eu_base_url: Some(sim.eu_base_url()),
            timeout: global
                .timeout
                .map_or(Duration::from_secs(10), Duration::from_secs_f64),
            observer: Some(wiring.observer()),
            ..Default::default()
        },
    )
    .map_err(|e| CliError::api("setting up the client", e))?;
    let on_behalf_of = match &global.on_behalf_of {
        Some(o) => Some(crate::api::OnBehalfOf::parse(o).map_err(CliError::Usage)?),
        None => None,
    };
    let ctx = Context {
        base_url: sim.base_url(),
        account: "acme-corp".into(),
        on_behalf_of,
        read_only: global.read_only || config::env_flag("SGKEYS_READ_ONLY"),
        demo: true,
        caller_key_id,
        // the configured base URL already matches --region / the profile
        region: None,
    };
    let journal = global
        .journal
        .clone()
        .unwrap_or_else(|| config::state_dir().join("demo-journal.jsonl"));
    let refresh = global.refresh.unwrap_or(config::DEFAULT_REFRESH_SECS);
    // the demo's own inventory, like its own journal; its context is "demo" whatever port
    // the simulator took
    let inventory_path = crate::inventory::resolve_path(
        global.no_inventory,
        global.inventory.clone(),
        |k| std::env::var(k).ok(),
        false,
        None,
        config::state_dir().join(crate::inventory::DEMO_FILE_NAME),
    );
    let inventory = Kept::open(inventory_path.as_deref(), "demo", client.caller_key_id());
    let opts = dash_options(global, ctx, journal, refresh, theme, inventory.as_ref())?;
    let code = run_dashboard(client, opts, wiring)
        .await
        .map_err(|e| CliError::Io(e.to_string()));
    sim.shutdown().await;
    if let Some(k) = inventory {
        k.close();
    }
    code
}

impl Run for SimArgs {
    async fn run(self, global: &Global) -> Result<u8, CliError> {
        run_sim(self, global.json).await
    }
}

/// `sgkeys sim`.
pub async fn run_sim(args: SimArgs, json: bool) -> Result<u8, CliError> {
    super::init_stderr_logging();
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return Err(CliError::Usage(
            "--fail-rate must be between 0 and 1".into(),
        ));
    }
    let admin_key = match (&args.admin_key, &args.admin_key_file) {
        (Some(k), _) => Some(
            crate::secret::Secret::parse(k)
                .map_err(|e| CliError::Usage(format!("--admin-key: {e}")))?,
        ),
        (None, Some(path)) => {
            let text = crate::fsutil::read_to_string_capped(path, 4096).map_err(|e| {
                CliError::Usage(format!("--admin-key-file {}: {e}", path.display()))
            })?;
            let first = text.lines().next().unwrap_or_default().trim();
            Some(crate::secret::Secret::parse(first).map_err(|e| {
                CliError::Usage(format!("--admin-key-file {}: {e}", path.display()))
            })?)
        }
        (None, None) => None,
    };
    let cfg = SimConfig {
        seed: args.seed.parse().map_err(CliError::Usage)?,
        latency: Duration::from_millis(args.latency_ms),
        revoke_delay: Duration::from_millis(args.budget.revoke_delay_ms),
        rate_limit: args.budget.rate_limit,
        create_rate: args.budget.create_rate,
        eu_port: args.eu_port,
        fail_rate: args.fail_rate,
        hang: Duration::from_millis(args.hang_ms),
        state_file: args.state.clone(),
        admin_key,
        get_shape: args.get_shape.parse().map_err(CliError::Usage)?,
        // a new admin key and new secrets on every start, unless a seed is given
        rng_seed: args.rng_seed,
        tls: args.tls,
        http1_only: args.http1_only,
        connect_delay: Duration::from_millis(args.connect_ms),
        h2_max_streams: args.h2_max_streams,
        ..SimConfig::default()
    };
    sim::run_standalone(cfg, args.port, json, args.tls_ca_out.as_deref())
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    Ok(0)
}

/// `--no-color` / `NO_COLOR` > `--theme` > `SGKEYS_THEME` > the profile's `theme` > auto.
fn theme(global: &Global, profile: Option<&str>) -> Result<ThemeChoice, CliError> {
    Ok(config::theme_choice(
        global.no_color,
        global.theme.map(Into::into),
        |k| std::env::var(k).ok(),
        profile,
    )?)
}
