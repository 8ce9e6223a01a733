//! Command line: argument parsing (clap), settings, logging, exit codes, and dispatch to the
//! dashboard, the simulator or a one-shot command.
//!
//! Exit codes: 0 ok; 1 API, network or I/O failure (or a policy violation, or `diff` finding a
//! difference, as diff(1)); 2 usage error, before any request; 130 an interrupted bulk revoke.

mod account;
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

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

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

#[derive(Debug, Subcommand)]
pub enum Command {
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
    Show {
        /// Key id (the middle part of the key)
        id: String,
    },
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
    Rename {
        /// Key id
        id: String,
        /// New name (1-100 characters)
        name: String,
        #[command(flatten)]
        dry: DryRun,
    },
    /// Replace a key's scopes (keeps its name)
    #[command(after_help = "Examples:
  sgkeys set-scopes qfTQ6KG0QBiwWdJ0-pCLCA mail.send
  sgkeys set-scopes qfTQ6KG0QBiwWdJ0-pCLCA 'mail.*' stats=read --dry-run
  sgkeys set-scopes qfTQ6KG0QBiwWdJ0-pCLCA '*'   # every non-billing scope (said on stderr)")]
    SetScopes {
        /// Key id
        id: String,
        /// Scopes: exact (`mail.send`), globs (`mail.*`) or `category=no|read|full` (`stats=read`)
        #[arg(required = true, num_args = 1.., value_delimiter = ',')]
        scopes: Vec<String>,
        #[command(flatten)]
        dry: DryRun,
    },
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
    Diff {
        /// Key id
        a: String,
        /// Second key id (or use --preset)
        #[arg(required_unless_present = "preset", conflicts_with = "preset")]
        b: Option<String>,
        /// Compare with a preset instead (names are matched without regard to case)
        #[arg(long, value_name = "NAME", ignore_case = true, value_parser = clap::builder::PossibleValuesParser::new(crate::presets::PRESETS.iter().map(|p| p.name)))]
        preset: Option<String>,
    },
    /// Show the journal of changes made with sgkeys (with --format markdown: an incident record)
    #[command(after_help = "Examples:
  sgkeys journal --limit 20
  sgkeys journal --since 2h --format markdown > incident.md
  sgkeys journal --context acme-transactional --format csv > changes.csv")]
    Journal {
        /// Only the last N entries
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Only entries since a time: a duration ago (`2h`, `30m`, `1d`) or an RFC 3339 time
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Only one context: `own` (the key's own account) or a subuser/`account-id ID`
        #[arg(long, value_name = "CONTEXT")]
        context: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
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
    Inventory {
        #[command(subcommand)]
        action: InventoryAction,
    },
    /// Recreate a revoked key from the journal: same name and scopes, new secret (shown once)
    #[command(after_help = "Examples:
  sgkeys recreate qfTQ6KG0QBiwWdJ0-pCLCA --dry-run
  sgkeys recreate qfTQ6KG0QBiwWdJ0-pCLCA")]
    Recreate {
        /// Id of the revoked key
        id: String,
        /// Recreate it where sgkeys points now, though the journal says it lived elsewhere
        #[arg(long)]
        into_current: bool,
        /// Do not ask for confirmation
        #[arg(long, short = 'y')]
        yes: bool,
        #[command(flatten)]
        dry: DryRun,
    },
    /// Show the calling key's own scopes and what it may do
    #[command(after_help = "Examples:
  sgkeys whoami
  sgkeys --on-behalf-of acme-transactional whoami --json")]
    Whoami,
    /// List the subusers of the account (contexts for --on-behalf-of)
    #[command(after_help = "Examples:
  sgkeys subusers
  sgkeys subusers --format csv")]
    Subusers {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Print the scope catalog (categories, read and full scopes)
    #[command(after_help = "Examples:
  sgkeys scopes
  sgkeys scopes --format markdown
  sgkeys scopes --json | jq -r '.categories[].id'")]
    Scopes {
        #[command(flatten)]
        format: FormatArg,
    },
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
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages (roff): sgkeys(1) on stdout, or one page per command into DIR
    #[command(after_help = "Examples:
  sgkeys man | man -l -
  sgkeys man --out ~/.local/share/man/man1")]
    Man {
        /// Write sgkeys.1 and sgkeys-COMMAND.1 for every command into DIR (made if missing)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// `sgkeys history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this key (its id)
    pub id: Option<String>,
    /// Only the last N events
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only events since a time: a duration ago (`2h`, `30m`, `1d`) or an RFC 3339 time
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only one context: `own` (the key's own account) or a subuser/`account-id ID`
    #[arg(long, value_name = "CONTEXT")]
    pub context: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// `sgkeys inventory …`.
#[derive(Debug, Subcommand)]
pub enum InventoryAction {
    /// Print where the inventory is
    Path,
    /// Delete the inventory (asks first)
    Clear {
        /// Do not ask for confirmation
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// `--dry-run` for the mutating commands.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct DryRun {
    /// Print the exact request (method, URL, body) and send nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// The one output-format flag of the listing commands (`--json` is its shorthand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
    Markdown,
}

/// `--format` on a listing command.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct FormatArg {
    /// Output format (--json is short for --format json)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
}

impl FormatArg {
    /// The format asked for: `--format`, or `--json` (or the `shorthand` a command still
    /// accepts, like `list --csv`); two different ones are a usage error.
    pub fn resolve(
        self,
        json: bool,
        shorthand: Option<(&str, Format)>,
    ) -> Result<Format, CliError> {
        let mut asked: Vec<(String, Format)> = Vec::new();
        if let Some(f) = self.format {
            let name = f
                .to_possible_value()
                .map(|v| v.get_name().to_owned())
                .unwrap_or_default();
            asked.push((format!("--format {name}"), f));
        }
        if json {
            asked.push(("--json".into(), Format::Json));
        }
        if let Some((flag, f)) = shorthand {
            asked.push((flag.to_owned(), f));
        }
        match asked.as_slice() {
            [] => Ok(Format::Table),
            [(_, f), rest @ ..] => match rest.iter().find(|(_, g)| g != f) {
                Some((other, _)) => Err(CliError::Usage(format!(
                    "{} and {other} ask for different output formats; give one",
                    asked[0].0
                ))),
                None => Ok(*f),
            },
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Fetch every key's scopes (one GET per key, concurrently)
    #[arg(long)]
    pub scopes: bool,
    /// Short for --format csv
    #[arg(long)]
    pub csv: bool,
    #[command(flatten)]
    pub format: FormatArg,
    /// Ask the API for at most N keys (1 or more)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: Option<u32>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("access").required(true).multiple(false).args(["scopes", "full", "billing"])))]
pub struct CreateArgs {
    pub name: String,
    /// Custom Access: scopes (exact, globs, or `category=read|full`); repeat or comma-separate
    #[arg(
        long = "scope",
        group = "access",
        value_delimiter = ',',
        value_name = "SCOPE"
    )]
    pub scopes: Vec<String>,
    /// Full Access (every scope except billing)
    #[arg(long)]
    pub full: bool,
    /// Billing Access (billing scopes only)
    #[arg(long)]
    pub billing: bool,
    #[command(flatten)]
    pub dry: DryRun,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Key ids (with --finish: the old keys of pending rotations, or their replacements; none: every pending one here)
    #[arg(required_unless_present_any = ["filter", "finish"], conflicts_with = "filter")]
    pub ids: Vec<String>,
    /// Every key matching a filter, as in the dashboard (e.g. 'type:full')
    #[arg(long, value_name = "QUERY")]
    pub filter: Option<String>,
    /// The replacement's name (one key) [default: NAME (rotated YYYY-MM-DD)]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The new keys are deployed: revoke the old ones at once, without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Keep the old keys for now (a pending rotation; finish with --finish)
    #[arg(long, conflicts_with = "yes")]
    pub later: bool,
    /// Finish pending rotations: revoke the old keys (these, or every pending one here)
    #[arg(long, conflicts_with_all = ["filter", "name", "later", "secrets_out"])]
    pub finish: bool,
    /// Write the new secrets to FILE, a new file created 0600: `NAME=SG.…` lines for a `.env`
    /// file, else JSON. They then go nowhere else
    #[arg(long, value_name = "FILE")]
    pub secrets_out: Option<PathBuf>,
    /// With --finish: act where sgkeys points, though the rotation was made elsewhere
    #[arg(long)]
    pub into_current: bool,
    #[command(flatten)]
    pub dry: DryRun,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Key ids
    #[arg(
        required_unless_present_any = ["leaked", "filter", "from_file", "from_report"],
        conflicts_with_all = ["leaked", "filter", "from_file", "from_report"]
    )]
    pub ids: Vec<String>,
    /// Every key matching a filter, as in the dashboard: text, `scope:GLOB`, `type:full`,
    /// `risk:high`, `!term` (e.g. `--filter 'type:full !admin'`); combine with --dry-run first
    #[arg(long, value_name = "QUERY", conflicts_with = "leaked")]
    pub filter: Option<String>,
    /// A leaked key (the whole `SG.…` value). Without a value it is read from stdin, or asked
    /// for with echo off on a terminal (Enter submits); `-` reads stdin. It is asked first
    /// whether it still works, looked up in the account and every subuser, revoked, then
    /// proven dead.
    #[arg(long, num_args = 0..=1, default_missing_value = "", value_name = "KEY")]
    pub leaked: Option<String>,
    /// A leaked key read from FILE (its first SendGrid key)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["filter", "from_report"])]
    pub from_file: Option<PathBuf>,
    /// Every SendGrid key in a scanner's report: gitleaks JSON, trufflehog JSON lines, or any
    /// text. One table, one confirmation, then each live key is revoked and proven dead
    #[arg(long, value_name = "FILE", conflicts_with = "filter")]
    pub from_report: Option<PathBuf>,
    /// With a leaked key: how long to wait for SendGrid to refuse it after the revoke
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = parse_timeout)]
    pub verify_timeout: f64,
    /// A leaked key in no account sgkeys can reach that may delete keys itself: revoke it with
    /// its own credential
    #[arg(long)]
    pub self_revoke: bool,
    /// With a leaked key that could create keys: when it was first exposed (`2h`, `3d` ago, or
    /// an RFC 3339 time); the keys of its account that appeared since are listed
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    pub since: Option<std::time::SystemTime>,
    /// With --yes: also revoke the keys that appeared while the leaked key was exposed
    #[arg(long)]
    pub revoke_appeared: bool,
    /// Kept for scripts: a leaked key is now always looked up in every subuser
    #[arg(long, hide = true)]
    pub all_subusers: bool,
    /// Show what would be revoked; send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `audit --format`: the listing formats, and a self-contained HTML page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Table,
    Json,
    Csv,
    Markdown,
    /// One self-contained page: summary, access matrix heatmap, findings (write it with --out)
    Html,
    /// Gauges for Prometheus' textfile collector (OpenMetrics text; see README "Prometheus")
    Openmetrics,
    /// One JSON object per key (as in `--format json`'s `keys`), each printed the moment its
    /// answer arrives, in bounded memory (stdout only; not with --out, --policy, --since)
    Ndjson,
}

impl AuditFormat {
    fn listing(self) -> Option<Format> {
        match self {
            AuditFormat::Table => Some(Format::Table),
            AuditFormat::Json => Some(Format::Json),
            AuditFormat::Csv => Some(Format::Csv),
            AuditFormat::Markdown => Some(Format::Markdown),
            AuditFormat::Html | AuditFormat::Openmetrics | AuditFormat::Ndjson => None,
        }
    }
}

/// `--format` on `audit` (the listing formats plus `html` and `openmetrics`).
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct AuditFormatArg {
    /// Output format (--json is short for --format json)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<AuditFormat>,
}

impl AuditFormatArg {
    /// As [`FormatArg::resolve`]; `--format html` (or `openmetrics`) with `--json` is a usage
    /// error too.
    pub fn resolve(self, json: bool) -> Result<AuditFormat, CliError> {
        let listing = match self.format {
            Some(f) if f.listing().is_none() => {
                if json {
                    let name = f
                        .to_possible_value()
                        .map(|v| v.get_name().to_owned())
                        .unwrap_or_default();
                    return Err(CliError::Usage(format!(
                        "--format {name} and --json ask for different output formats; give one"
                    )));
                }
                return Ok(f);
            }
            Some(f) => f.listing(),
            None => None,
        };
        Ok(match (FormatArg { format: listing }).resolve(json, None)? {
            Format::Table => AuditFormat::Table,
            Format::Json => AuditFormat::Json,
            Format::Csv => AuditFormat::Csv,
            Format::Markdown => AuditFormat::Markdown,
        })
    }
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub format: AuditFormatArg,
    /// Also audit every subuser (via on-behalf-of); adds a context column
    #[arg(long)]
    pub all_subusers: bool,
    /// Write the report to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Check a TOML policy; exit 1 with the violations when any rule fails
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Show what changed since an earlier `audit --format json` report (a file), or since a
    /// time, from the inventory: a duration ago (`2h`, `1d`) or an RFC 3339 time (keys first
    /// seen, gone, renamed or rescoped since; said plainly where there is no baseline)
    #[arg(long, value_name = "OLD.json|WHEN")]
    pub since: Option<PathBuf>,
}

/// `export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// HCL for the kenzo0107/sendgrid provider: per key a sendgrid_api_key resource and an
    /// import block (Terraform 1.5+); a provider alias per subuser
    Terraform,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to write
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: ExportFormat,
    /// Also export every subuser's keys (a provider alias each)
    #[arg(long)]
    pub all_subusers: bool,
    /// Only the keys matching a filter, as in the dashboard: text, `scope:GLOB`, `type:full`,
    /// `risk:high`, `!term`
    #[arg(long, value_name = "QUERY")]
    pub filter: Option<String>,
    /// Write to FILE instead of stdout (replaced whole, never half-written)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 = any free port)
    #[arg(long, default_value_t = 3030)]
    pub port: u16,
    /// Data: demo, empty, bulk:N or fleet:S:N (see Seeds below)
    #[arg(long, default_value = "demo")]
    pub seed: String,
    /// Port of the EU host (api.eu.sendgrid.com's stand-in) on 127.0.0.1 (0 = any free port)
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    pub eu_port: u16,
    /// Added latency per request, in milliseconds
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_ms: u64,
    /// Requests per fixed window per account, N/PERIOD (e.g. 600/60s, 1000/1s); on-behalf-of
    /// calls count against the calling key's account
    #[arg(long, default_value_t = crate::sim::DEFAULT_RATE, value_name = "N/PERIOD")]
    pub rate_limit: crate::sim::Rate,
    /// Key creations (POST /v3/api_keys) per fixed window per account, N/PERIOD, on top of
    /// --rate-limit
    #[arg(long, default_value_t = crate::sim::DEFAULT_CREATE_RATE, value_name = "N/PERIOD")]
    pub create_rate: crate::sim::Rate,
    /// Fraction (0-1) of requests failing with 429/500/503/timeouts
    #[arg(long, default_value_t = 0.0, value_name = "F", value_parser = parse_fraction)]
    pub fail_rate: f64,
    /// How long a simulated timeout hangs, in milliseconds
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    pub hang_ms: u64,
    /// Persist state in FILE across restarts
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Use this admin key instead of a generated one (visible in `ps`: prefer
    /// --admin-key-file or SGKEYS_SIM_ADMIN_KEY)
    #[arg(
        long,
        value_name = "KEY",
        env = "SGKEYS_SIM_ADMIN_KEY",
        hide_env_values = true,
        conflicts_with = "admin_key_file"
    )]
    pub admin_key: Option<String>,
    /// Read the admin key from FILE (its first line)
    #[arg(long, value_name = "FILE")]
    pub admin_key_file: Option<PathBuf>,
    /// Shape of GET /v3/api_keys/{id}: flat (real) or wrapped (the spec's)
    #[arg(long, default_value = "flat")]
    pub get_shape: String,
    /// How long a revoked key keeps authenticating, in milliseconds (SendGrid's propagation
    /// delay; 0 = at once)
    #[arg(long, default_value_t = DEFAULT_REVOKE_DELAY_MS, value_name = "MS")]
    pub revoke_delay_ms: u64,
    /// Seed for the admin key and created keys' secrets (default: random on every start)
    #[arg(long, value_name = "N")]
    pub rng_seed: Option<u64>,
    /// Serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with a certificate from a CA made at start
    #[arg(long)]
    pub tls: bool,
    /// With --tls: write the CA certificate (PEM) to FILE, for `sgkeys --ca-cert FILE`
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub tls_ca_out: Option<PathBuf>,
    /// With --tls: offer HTTP/1.1 only (to compare with HTTP/2)
    #[arg(long, requires = "tls")]
    pub http1_only: bool,
    /// A new connection's first answer waits MS more (a TCP + TLS handshake on the internet)
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub connect_ms: u64,
    /// With --tls: HTTP/2 streams a client may have open at once on one connection
    #[arg(long, default_value_t = crate::sim::H2_MAX_STREAMS, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub h2_max_streams: u32,
}

#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Data: demo, empty, bulk:N or fleet:S:N (as `sgkeys sim --seed`)
    #[arg(long, default_value = "demo")]
    pub seed: String,
    /// Simulated latency per request, in milliseconds
    #[arg(long, default_value_t = 40, value_name = "MS")]
    pub latency_ms: u64,
    /// Requests per fixed window per account, N/PERIOD (e.g. 600/60s, 1000/1s)
    #[arg(long, default_value_t = crate::sim::DEFAULT_RATE, value_name = "N/PERIOD")]
    pub rate_limit: crate::sim::Rate,
    /// Key creations per fixed window per account, N/PERIOD
    #[arg(long, default_value_t = crate::sim::DEFAULT_CREATE_RATE, value_name = "N/PERIOD")]
    pub create_rate: crate::sim::Rate,
    /// Fraction (0-1) of requests failing (to see error handling)
    #[arg(long, default_value_t = 0.0, value_name = "F", value_parser = parse_fraction)]
    pub fail_rate: f64,
    /// How long a revoked key keeps authenticating, in milliseconds (SendGrid's propagation
    /// delay; 0 = at once)
    #[arg(long, default_value_t = DEFAULT_REVOKE_DELAY_MS, value_name = "MS")]
    pub revoke_delay_ms: u64,
}

/// `--revoke-delay-ms`'s default: the simulator's [`crate::sim::DEFAULT_REVOKE_DELAY`].
const DEFAULT_REVOKE_DELAY_MS: u64 = crate::sim::DEFAULT_REVOKE_DELAY.as_millis() as u64;

/// `--timeout`: a finite number of seconds, 0 < t <= 3600 (also checked for profiles in
/// `config`); rejected here so that no command, including `demo`, sees a value that
/// `Duration::from_secs_f64` would panic on.
fn parse_since(s: &str) -> Result<std::time::SystemTime, String> {
    since::parse_when(s)
        .ok_or_else(|| format!("'{s}': give a duration ago (2h, 30m, 3d) or an RFC 3339 time"))
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 && t <= 3600.0 => Ok(t),
        _ => Err(
            "expected a number of seconds greater than 0 and at most 3600 (e.g. 10 or 2.5)".into(),
        ),
    }
}

/// `--max-age`: a duration (`10m`, `90s`, `0`).
fn parse_age(s: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|_| "expected a duration such as 10m, 90s or 1h (0: ask everything)".into())
}

/// `--fail-rate`: a fraction from 0 to 1.
fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err("expected a fraction from 0 to 1 (e.g. 0.2)".into()),
    }
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
    match &cli.command {
        Some(Command::Completions { shell }) => {
            // Into a buffer first: clap_complete panics when its writer fails (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "sgkeys", &mut script);
            return match crate::output::out_bytes(&script) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    crate::errln!("sgkeys: cannot write the completions: {e}");
                    ExitCode::from(1)
                }
            };
        }
        Some(Command::Man { out }) => {
            return match man::write(out.as_deref()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    crate::errln!("sgkeys: {e}");
                    ExitCode::from(e.exit_code())
                }
            };
        }
        _ => {}
    }
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
    let result = runtime.block_on(commands::run(cli));
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
