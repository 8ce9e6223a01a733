//! Command line: argument parsing (clap), settings, logging, exit codes, and dispatch to the
//! dashboard, the simulator or a one-shot command.
//!
//! Exit codes: 0 ok; 1 API, network or I/O failure (or a policy violation, or `diff` finding a
//! difference, as diff(1)); 2 usage error, before any request; 130 an interrupted bulk revoke.

mod account;
mod args;
mod argv;
mod commands;
mod context;
mod dashboard;
mod export;
mod exposed;
mod inventory_cmd;
mod journal_cmd;
mod kept;
mod keys;
mod leaked;
mod man;
mod offline;
mod prompt;
mod reports;
mod revoke;
mod rotate;
mod secrets_out;
mod select;
mod signals;
mod since;
mod sweeps;

pub use args::*;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::api::{ApiError, Region};
use crate::config::{ConfigError, Overrides};

/// `sgkeys --version`: the version, the commit it was built from and the target (build.rs).
pub const LONG_VERSION: &str = env!("SGKEYS_LONG_VERSION");

/// Manage Twilio SendGrid API keys: browse, audit scopes, revoke fast.
#[derive(Debug, Parser)]
#[command(name = "sgkeys", version = LONG_VERSION, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Run without a command to open the dashboard. Try `sgkeys demo` first: it needs no account."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegionArg {
    Global,
    Eu,
}

impl From<RegionArg> for Region {
    fn from(r: RegionArg) -> Self {
        match r {
            RegionArg::Global => Region::Global,
            RegionArg::Eu => Region::Eu,
        }
    }
}

/// `--theme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ThemeArg {
    /// Ask the terminal for its background colour (OSC 11): light or dark; dark when it does not answer
    Auto,
    /// For dark backgrounds (black to #282c34)
    Dark,
    /// For light backgrounds (#ffffff, #fdf6e3, #eeeeee)
    Light,
    /// No colour at all (as --no-color)
    Mono,
}

impl From<ThemeArg> for crate::config::ThemeChoice {
    fn from(t: ThemeArg) -> Self {
        use crate::config::ThemeChoice;
        match t {
            ThemeArg::Auto => ThemeChoice::Auto,
            ThemeArg::Dark => ThemeChoice::Dark,
            ThemeArg::Light => ThemeChoice::Light,
            ThemeArg::Mono => ThemeChoice::Mono,
        }
    }
}

#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Profile from the config file
    #[arg(long, global = true, env = "SGKEYS_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// Act for a subuser (`NAME`) or a customer account (`account-id ID`)
    #[arg(long, global = true, value_name = "SUBUSER")]
    pub on_behalf_of: Option<String>,
    /// SendGrid region: global (api.sendgrid.com) or eu (api.eu.sendgrid.com)
    #[arg(long, global = true, value_enum)]
    pub region: Option<RegionArg>,
    /// API base URL (a simulator, a proxy); overrides --region
    #[arg(long, global = true, env = "SGKEYS_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Where EU subusers' calls go when --base-url is not SendGrid's own (a simulator's or
    /// proxy's EU host; `sgkeys sim` prints it)
    #[arg(long, global = true, env = "SGKEYS_EU_BASE_URL", value_name = "URL")]
    pub eu_base_url: Option<String>,
    /// Also trust this CA certificate (PEM): a TLS-inspecting proxy's, or `sgkeys sim --tls`'s
    #[arg(long, global = true, env = "SGKEYS_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Requests in flight at most (HTTP/2: streams on one connection) [default: 100]; the
    /// rate-limit budget paces them further
    #[arg(long, global = true, env = "SGKEYS_CONCURRENCY", value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,
    /// Request timeout in seconds [default: 10]
    #[arg(long, global = true, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<f64>,
    /// Config file [default: $XDG_CONFIG_HOME/sgkeys/config.toml]
    #[arg(long, global = true, env = "SGKEYS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Command printing the API key (e.g. a password manager's); instead of SENDGRID_API_KEY
    #[arg(long, global = true, value_name = "CMD")]
    pub api_key_cmd: Option<String>,
    /// Refuse every change (also SGKEYS_READ_ONLY=1 or `read_only = true` in the profile)
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Journal file for mutations [default: $XDG_STATE_HOME/sgkeys/journal.jsonl]
    #[arg(long, global = true, env = "SGKEYS_JOURNAL", value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Machine-readable JSON output (stable; see README); on listings, short for --format json
    #[arg(long, global = true)]
    pub json: bool,
    /// Monochrome dashboard (also NO_COLOR); beats --theme
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Dashboard colours (also SGKEYS_THEME or `theme` in the profile) [default: auto]
    #[arg(long, global = true, value_enum, value_name = "THEME")]
    pub theme: Option<ThemeArg>,
    /// Mouse support in the dashboard (wheel, click to select)
    #[arg(long, global = true)]
    pub mouse: bool,
    /// Log file for the dashboard [default: $XDG_STATE_HOME/sgkeys/sgkeys.log]
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Dashboard: re-read the key list every SECS seconds (0: only on Ctrl-r) [default: 60]
    #[arg(long, global = true, value_name = "SECS")]
    pub refresh: Option<u64>,
    /// The inventory of what sgkeys has seen (also SGKEYS_INVENTORY) [default:
    /// $XDG_STATE_HOME/sgkeys/inventory.sqlite]
    #[arg(long, global = true, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// Keep no inventory: nothing about what was seen is stored (also SGKEYS_NO_INVENTORY=1
    /// or `no_inventory = true` in the profile)
    #[arg(long, global = true, conflicts_with = "inventory")]
    pub no_inventory: bool,
    /// Read nothing from SendGrid: answer `list`, `show` and `audit` from the inventory,
    /// saying how old it is
    #[arg(long, global = true, conflicts_with = "no_inventory")]
    pub offline: bool,
    /// Sweeps (audit, list --scopes, export): take what the inventory recorded up to AGE ago
    /// instead of asking again (`10m`, `1h`; `0`: ask everything). Without it a new command
    /// reads fresh, and only an interrupted run of the same command is resumed (what it was
    /// answered up to 10 min ago)
    #[arg(long, global = true, value_name = "AGE", value_parser = parse_age)]
    pub max_age: Option<std::time::Duration>,
}

/// The subcommands. Each is one variant holding its arguments (`cli/args.rs`), run by its
/// arguments' [`commands::Run`]: a command that talks to SendGrid implements
/// [`commands::Online`] beside its function, with the scope it needs. This macro makes the
/// enum and its dispatch from one list, so a new command is its variant and its function.
macro_rules! subcommands {
    ($( $(#[$meta:meta])* $variant:ident($args:ty), )*) => {
        #[derive(Debug, Subcommand)]
        pub enum Command {
            $( $(#[$meta])* $variant($args), )*
        }

        impl Command {
            /// Whether it talks to SendGrid.
            fn online(&self) -> bool {
                match self {
                    $( Command::$variant(_) => <$args as commands::Run>::ONLINE, )*
                }
            }

            /// Run it: `--offline` answers from the inventory what talks to SendGrid.
            async fn run(self, global: &Global) -> Result<u8, CliError> {
                if global.offline && self.online() {
                    return offline::run(global, self);
                }
                match self {
                    $( Command::$variant(args) => commands::Run::run(args, global).await, )*
                }
            }
        }
    };
}

subcommands! {
    /// List keys (names and ids; with --scopes also type and scopes)
    #[command(after_help = "Examples:
  sgkeys list
  sgkeys list --scopes --format csv > keys.csv
  sgkeys list --json | jq -r '.[].api_key_id'
  sgkeys list --limit 3")]
    List(ListArgs),
    /// Show one key: type, access per category, scopes
    #[command(after_help = "Examples:
  sgkeys show qfTQ6KG0QBiwWdJ0-pCLCA
  sgkeys show qfTQ6KG0QBiwWdJ0-pCLCA --json | jq .scopes")]
    Show(ShowArgs),
    /// Create a key; its secret is printed once
    #[command(after_help = "Examples:
  sgkeys create 'deploy bot' --scope mail.send
  sgkeys create 'stats reader' --scope stats=read,suppression=read
  sgkeys create 'admin' --full --dry-run
  sgkeys create 'invoices' --billing")]
    Create(CreateArgs),
    /// Rename a key
    #[command(after_help = "Examples:
  sgkeys rename qfTQ6KG0QBiwWdJ0-pCLCA 'deploy bot (old)'
  sgkeys rename qfTQ6KG0QBiwWdJ0-pCLCA 'new name' --dry-run")]
    Rename(RenameArgs),
    /// Replace a key's scopes (keeps its name)
    #[command(after_help = "Examples:
  sgkeys set-scopes qfTQ6KG0QBiwWdJ0-pCLCA mail.send
  sgkeys set-scopes qfTQ6KG0QBiwWdJ0-pCLCA 'mail.*' stats=read --dry-run
  sgkeys set-scopes qfTQ6KG0QBiwWdJ0-pCLCA '*'   # every non-billing scope (said on stderr)")]
    SetScopes(SetScopesArgs),
    /// Rotate keys: a replacement with the same scopes (secret shown once), then the old key
    /// revoked once the new one is deployed (now, or later with --finish)
    #[command(after_help = "Examples:
  sgkeys rotate qfTQ6KG0QBiwWdJ0-pCLCA
  sgkeys rotate qfTQ6KG0QBiwWdJ0-pCLCA --later
  sgkeys rotate --finish qfTQ6KG0QBiwWdJ0-pCLCA
  sgkeys rotate --filter 'type:full' --secrets-out new-keys.env --yes")]
    Rotate(RotateArgs),
    /// Revoke (delete) keys by id, or a leaked key by its full value
    #[command(after_help = "Examples:
  sgkeys revoke qfTQ6KG0QBiwWdJ0-pCLCA
  sgkeys revoke --filter 'type:full !admin' --dry-run
  pbpaste | sgkeys revoke --leaked --all-subusers")]
    Revoke(RevokeArgs),
    /// Audit every key: type, scopes, risk findings; policy checks; changes since an earlier audit
    #[command(after_help = "Examples:
  sgkeys audit
  sgkeys audit --all-subusers --format markdown --out audit.md
  sgkeys audit --all-subusers --format html --out audit.html
  sgkeys audit --all-subusers --format openmetrics --out sgkeys.prom
  sgkeys audit --format json --out before.json; sgkeys audit --since before.json
  sgkeys audit --all-subusers --since 2h   # keys that appeared since, from the inventory
  sgkeys --offline audit                   # from the inventory alone, saying how old it is
  sgkeys audit --policy policy.toml   # exit 1 on a violation")]
    Audit(AuditArgs),
    /// Write keys as Terraform configuration: resources and import blocks (kenzo0107/sendgrid)
    #[command(
        after_help = "Secrets cannot be imported: SendGrid shows a key's secret only when it is created.
Exit status: 0 when every key asked for is in the output; 1 when some could not be read or their
scopes are unknown (the output then says which, in a comment at the top); 2 on a usage error.

Examples:
  sgkeys export --format terraform --out sendgrid_keys.tf
  sgkeys export --format terraform --all-subusers --out sendgrid_keys.tf
  sgkeys export --format terraform --filter 'type:full' > full_access_keys.tf"
    )]
    Export(ExportArgs),
    /// Compare two keys' scopes by category (or a key with a preset); exit 1 when they differ
    #[command(
        after_help = "Exit status: 0 when the scopes are the same, 1 when they differ (as diff(1)), 2 on a usage error, 1 on an API error.

Examples:
  sgkeys diff qfTQ6KG0QBiwWdJ0-pCLCA Zx9vB2cD4eF6gH8iJ0kL1m
  sgkeys diff qfTQ6KG0QBiwWdJ0-pCLCA --preset 'Mail Send only'"
    )]
    Diff(DiffArgs),
    /// Show the journal of changes made with sgkeys (with --format markdown: an incident record)
    #[command(after_help = "Examples:
  sgkeys journal --limit 20
  sgkeys journal --since 2h --format markdown > incident.md
  sgkeys journal --context acme-transactional --format csv > changes.csv")]
    Journal(JournalArgs),
    /// What sgkeys has seen of keys (from its inventory): when each was first seen, renamed,
    /// changed scopes, gone
    #[command(after_help = "Examples:
  sgkeys history
  sgkeys history qfTQ6KG0QBiwWdJ0-pCLCA
  sgkeys history --since 2h --context acme-transactional
  sgkeys history --json | jq '.[] | select(.event == \"first_seen\")'")]
    History(HistoryArgs),
    /// The inventory of what sgkeys has seen: where it is, or clear it
    #[command(after_help = "Examples:
  sgkeys inventory path
  sgkeys inventory clear --yes")]
    Inventory(InventoryArgs),
    /// Recreate a revoked key from the journal: same name and scopes, new secret (shown once)
    #[command(after_help = "Examples:
  sgkeys recreate qfTQ6KG0QBiwWdJ0-pCLCA --dry-run
  sgkeys recreate qfTQ6KG0QBiwWdJ0-pCLCA")]
    Recreate(RecreateArgs),
    /// Show the calling key's own scopes and what it may do
    #[command(after_help = "Examples:
  sgkeys whoami
  sgkeys --on-behalf-of acme-transactional whoami --json")]
    Whoami(WhoamiArgs),
    /// List the subusers of the account (contexts for --on-behalf-of)
    #[command(after_help = "Examples:
  sgkeys subusers
  sgkeys subusers --format csv")]
    Subusers(SubusersArgs),
    /// Print the scope catalog (categories, read and full scopes)
    #[command(after_help = "Examples:
  sgkeys scopes
  sgkeys scopes --format markdown
  sgkeys scopes --json | jq -r '.categories[].id'")]
    Scopes(ScopesArgs),
    /// Run the SendGrid-compatible simulator
    #[command(after_help = "Seeds (--seed):
  demo        acme-corp: the admin key and 44 varied keys; subusers acme-transactional
              (global, 5 keys) and acme-eu-marketing (EU, 4 keys); customer account
              globex-customer (on-behalf-of 'account-id abc123def456hij789klm0', 2 keys)
  empty       the admin key only
  bulk:N      the admin key and N generated keys in the parent (N up to 100000)
  fleet:S:N   S subusers fleet-001... (global) with N generated keys each (S up to 1000,
              S x N up to 100000)

By default it is as slow and strict as SendGrid is believed to be: 600 requests per 60 s per
account, one key creation per 2 s, a revoked key authenticating for 2 s more (each figure an
assumption; see docs/simulator.md). Tests and benchmarks that need speed ask for it.

Examples:
  sgkeys sim --port 3030
  sgkeys sim --port 0 --seed bulk:500 --json   # one JSON line: base URLs and the admin key
  sgkeys sim --seed fleet:1000:20 --port 3030 --eu-port 3031
  sgkeys sim --rate-limit 1000/1s --create-rate 1000/1s --revoke-delay-ms 0   # no waits")]
    Sim(SimArgs),
    /// Open the dashboard on an in-process simulator with demo data
    #[command(after_help = "Examples:
  sgkeys demo
  sgkeys demo --latency-ms 300 --fail-rate 0.2
  sgkeys demo --rate-limit 1000/1s --create-rate 1000/1s --revoke-delay-ms 0   # no waits")]
    Demo(DemoArgs),
    /// Print shell completions
    #[command(after_help = "Examples:
  sgkeys completions bash > ~/.local/share/bash-completion/completions/sgkeys
  sgkeys completions zsh > ~/.zfunc/_sgkeys")]
    Completions(CompletionsArgs),
    /// Write man pages (roff): sgkeys(1) on stdout, or one page per command into DIR
    #[command(after_help = "Examples:
  sgkeys man | man -l -
  sgkeys man --out ~/.local/share/man/man1")]
    Man(ManArgs),
}

/// A failed command, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{context}: {error}")]
    Api {
        context: String,
        error: Box<ApiError>,
        /// What to do about it, printed on a line of its own after the error.
        hint: Option<String>,
    },
    #[error("{0}")]
    Failed(String),
    #[error("{0}")]
    Io(String),
    /// Stopped by Ctrl-C (or SIGTERM): exit 130.
    #[error("{0}")]
    Interrupted(String),
}

impl CliError {
    pub fn api(context: impl Into<String>, error: ApiError) -> Self {
        CliError::Api {
            context: context.into(),
            error: Box::new(error),
            hint: None,
        }
    }
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) => 2,
            CliError::Api { error, .. } if matches!(**error, ApiError::ReadOnly(_)) => 2,
            CliError::Interrupted(_) => 130,
            _ => 1,
        }
    }
    fn json(&self) -> serde_json::Value {
        let (kind, status) = match self {
            CliError::Usage(_) => ("usage", None),
            CliError::Config(_) => ("config", None),
            CliError::Api { error, .. } => ("api", error.status()),
            CliError::Failed(_) => ("failed", None),
            CliError::Io(_) => ("io", None),
            CliError::Interrupted(_) => ("interrupted", None),
        };
        let mut v = serde_json::json!({ "error": { "kind": kind, "status": status, "message": self.to_string() } });
        if let CliError::Api {
            hint: Some(hint), ..
        } = self
        {
            v["error"]["hint"] = serde_json::json!(hint);
        }
        v
    }
}

impl Global {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config_path: self.config.clone(),
            profile: self.profile.clone(),
            region: self.region.map(Into::into),
            base_url: self.base_url.clone(),
            eu_base_url: self.eu_base_url.clone(),
            ca_cert: self.ca_cert.clone(),
            on_behalf_of: self.on_behalf_of.clone(),
            timeout: self.timeout,
            api_key_cmd: self.api_key_cmd.clone(),
            read_only: self.read_only,
            journal: self.journal.clone(),
            refresh: self.refresh,
            concurrency: self.concurrency.map(usize::from),
            inventory: self.inventory.clone(),
            no_inventory: self.no_inventory,
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(argv::hyphen_ids(std::env::args_os().collect())) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let json = cli.global.json;
    let acting_as = cli.global.on_behalf_of.clone();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            crate::errln!("sgkeys: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            None => dashboard::run_configured(&cli.global).await,
            Some(command) => command.run(&cli.global).await,
        }
    });
    // Do not wait for stray tasks (e.g. a hung request) on the way out.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if json {
                let _ = crate::output::print_json(&e.json());
            }
            crate::errln!("sgkeys: {e}");
            if let CliError::Api {
                hint: Some(hint), ..
            } = &e
            {
                crate::errln!("hint: {hint}");
            }
            if let (Some(who), CliError::Api { error, .. }) = (&acting_as, &e)
                && matches!(error.status(), Some(401 | 403))
            {
                crate::errln!(
                    "hint: requests were sent on behalf of '{who}': check that it exists and belongs to \
                     this account (`sgkeys subusers`)"
                );
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// Logging for one-shot commands: stderr, `SGKEYS_LOG` filter (default `warn`).
pub(crate) fn init_stderr_logging() {
    let filter = crate::logging::filter("warn");
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // colour only on a terminal: a log redirected to a file carries no escape codes
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
