//! The arguments of each subcommand (clap), one struct per command: the variant in
//! [`super::Command`] names it, and the command's function takes it.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::CliError;

/// `sgkeys show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Key id (the middle part of the key)
    pub id: String,
}

/// `sgkeys rename`.
#[derive(Debug, Args)]
pub struct RenameArgs {
    /// Key id
    pub id: String,
    /// New name (1-100 characters)
    pub name: String,
    #[command(flatten)]
    pub dry: DryRun,
}

/// `sgkeys set-scopes`.
#[derive(Debug, Args)]
pub struct SetScopesArgs {
    /// Key id
    pub id: String,
    /// Scopes: exact (`mail.send`), globs (`mail.*`) or `category=no|read|full` (`stats=read`)
    #[arg(required = true, num_args = 1.., value_delimiter = ',')]
    pub scopes: Vec<String>,
    #[command(flatten)]
    pub dry: DryRun,
}

/// `sgkeys diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Key id
    pub a: String,
    /// Second key id (or use --preset)
    #[arg(required_unless_present = "preset", conflicts_with = "preset")]
    pub b: Option<String>,
    /// Compare with a preset instead (names are matched without regard to case)
    #[arg(long, value_name = "NAME", ignore_case = true, value_parser = clap::builder::PossibleValuesParser::new(crate::presets::PRESETS.iter().map(|p| p.name)))]
    pub preset: Option<String>,
}

/// `sgkeys journal`.
#[derive(Debug, Args)]
pub struct JournalArgs {
    #[command(flatten)]
    pub shown: Shown,
}

/// Which entries of a record (`journal`, `history`) are shown, and how.
#[derive(Debug, Args)]
pub struct Shown {
    /// Only the last N entries
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only entries since a time: a duration ago (`2h`, `30m`, `1d`) or an RFC 3339 time
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only one context: `own` (the key's own account) or a subuser/`account-id ID`
    #[arg(long, value_name = "CONTEXT")]
    pub context: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// `sgkeys inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    #[command(subcommand)]
    pub action: InventoryAction,
}

/// `sgkeys recreate`.
#[derive(Debug, Args)]
pub struct RecreateArgs {
    /// Id of the revoked key
    pub id: String,
    /// Recreate it where sgkeys points now, though the journal says it lived elsewhere
    #[arg(long)]
    pub into_current: bool,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub dry: DryRun,
}

/// `sgkeys whoami`.
#[derive(Debug, Args)]
pub struct WhoamiArgs {}

/// `sgkeys subusers`.
#[derive(Debug, Args)]
pub struct SubusersArgs {
    #[command(flatten)]
    pub format: FormatArg,
}

/// `sgkeys scopes`.
#[derive(Debug, Args)]
pub struct ScopesArgs {
    #[command(flatten)]
    pub format: FormatArg,
}

/// `sgkeys completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `sgkeys man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write sgkeys.1 and sgkeys-COMMAND.1 for every command into DIR (made if missing)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `sgkeys history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this key (its id)
    pub id: Option<String>,
    #[command(flatten)]
    pub shown: Shown,
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
    pub format: ListFormatArg,
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

impl WiderFormat for AuditFormat {
    fn listing(self) -> Option<Format> {
        match self {
            AuditFormat::Table => Some(Format::Table),
            AuditFormat::Json => Some(Format::Json),
            AuditFormat::Csv => Some(Format::Csv),
            AuditFormat::Markdown => Some(Format::Markdown),
            AuditFormat::Html | AuditFormat::Openmetrics | AuditFormat::Ndjson => None,
        }
    }
    fn from_listing(f: Format) -> Self {
        match f {
            Format::Table => AuditFormat::Table,
            Format::Json => AuditFormat::Json,
            Format::Csv => AuditFormat::Csv,
            Format::Markdown => AuditFormat::Markdown,
        }
    }
}

/// `--format` on `audit` (the listing formats plus `html`, `openmetrics` and `ndjson`).
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct AuditFormatArg {
    /// Output format (--json is short for --format json)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<AuditFormat>,
}

impl AuditFormatArg {
    /// As [`FormatArg::resolve`]; `--format html` (or `openmetrics`, `ndjson`) with `--json` is
    /// a usage error too.
    pub fn resolve(self, json: bool) -> Result<AuditFormat, CliError> {
        resolve_wider(self.format, json, None)
    }
}

/// `list --format`: the listing formats, and one JSON object per line as each key arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Csv,
    Markdown,
    /// One JSON object per key (as in `--format json`), each printed the moment it arrives;
    /// with --scopes the sweep streams in bounded memory
    Ndjson,
}

impl WiderFormat for ListFormat {
    fn listing(self) -> Option<Format> {
        match self {
            ListFormat::Table => Some(Format::Table),
            ListFormat::Json => Some(Format::Json),
            ListFormat::Csv => Some(Format::Csv),
            ListFormat::Markdown => Some(Format::Markdown),
            ListFormat::Ndjson => None,
        }
    }
    fn from_listing(f: Format) -> Self {
        match f {
            Format::Table => ListFormat::Table,
            Format::Json => ListFormat::Json,
            Format::Csv => ListFormat::Csv,
            Format::Markdown => ListFormat::Markdown,
        }
    }
}

/// `--format` on `list` (the listing formats plus `ndjson`).
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct ListFormatArg {
    /// Output format (--json is short for --format json)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ListFormat>,
}

impl ListFormatArg {
    /// As [`FormatArg::resolve`]; `--format ndjson` with `--json` or `--csv` is a usage error.
    pub fn resolve(
        self,
        json: bool,
        shorthand: Option<(&str, Format)>,
    ) -> Result<ListFormat, CliError> {
        resolve_wider(self.format, json, shorthand)
    }
}

/// A `--format` with formats beyond the listing ones (`audit`'s, `list`'s).
pub(crate) trait WiderFormat: ValueEnum + Copy {
    /// The listing format it is, if it is one.
    fn listing(self) -> Option<Format>;
    fn from_listing(f: Format) -> Self;
}

/// As [`FormatArg::resolve`]; a format that is no listing one with `--json` (or the command's
/// shorthand) is a usage error.
fn resolve_wider<F: WiderFormat>(
    format: Option<F>,
    json: bool,
    shorthand: Option<(&str, Format)>,
) -> Result<F, CliError> {
    let listing = match format {
        Some(f) if f.listing().is_none() => {
            let other = match (json, shorthand) {
                (true, _) => Some("--json"),
                (false, Some((flag, _))) => Some(flag),
                (false, None) => None,
            };
            if let Some(other) = other {
                let name = f
                    .to_possible_value()
                    .map(|v| v.get_name().to_owned())
                    .unwrap_or_default();
                return Err(CliError::Usage(format!(
                    "--format {name} and {other} ask for different output formats; give one"
                )));
            }
            return Ok(f);
        }
        Some(f) => f.listing(),
        None => None,
    };
    Ok(F::from_listing(
        (FormatArg { format: listing }).resolve(json, shorthand)?,
    ))
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
    #[command(flatten)]
    pub budget: SimBudget,
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
    #[command(flatten)]
    pub budget: SimBudget,
    /// Fraction (0-1) of requests failing (to see error handling)
    #[arg(long, default_value_t = 0.0, value_name = "F", value_parser = parse_fraction)]
    pub fail_rate: f64,
}

/// The simulator's budget and propagation delay (`sim` and `demo`): as slow as SendGrid by
/// default.
#[derive(Debug, Args, Clone)]
pub struct SimBudget {
    /// Requests per fixed window per account, N/PERIOD (e.g. 600/60s, 1000/1s); on-behalf-of
    /// calls count against the calling key's account
    #[arg(long, default_value_t = crate::sim::DEFAULT_RATE, value_name = "N/PERIOD")]
    pub rate_limit: crate::sim::Rate,
    /// Key creations (POST /v3/api_keys) per fixed window per account, N/PERIOD, on top of
    /// --rate-limit
    #[arg(long, default_value_t = crate::sim::DEFAULT_CREATE_RATE, value_name = "N/PERIOD")]
    pub create_rate: crate::sim::Rate,
    /// How long a revoked key keeps authenticating, in milliseconds (SendGrid's propagation
    /// delay; 0 = at once)
    #[arg(long, default_value_t = DEFAULT_REVOKE_DELAY_MS, value_name = "MS")]
    pub revoke_delay_ms: u64,
}

/// `--revoke-delay-ms`'s default: the simulator's [`crate::sim::DEFAULT_REVOKE_DELAY`].
const DEFAULT_REVOKE_DELAY_MS: u64 = crate::sim::DEFAULT_REVOKE_DELAY.as_millis() as u64;

/// `--since` on `revoke`: a duration ago or an RFC 3339 time.
fn parse_since(s: &str) -> Result<std::time::SystemTime, String> {
    super::since::parse_when(s)
        .ok_or_else(|| format!("'{s}': give a duration ago (2h, 30m, 3d) or an RFC 3339 time"))
}

/// `--timeout`: a finite number of seconds, 0 < t <= 3600 (also checked for profiles in
/// `config`); rejected here so that no command, including `demo`, sees a value that
/// `Duration::from_secs_f64` would panic on.
pub(crate) fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 && t <= 3600.0 => Ok(t),
        _ => Err(
            "expected a number of seconds greater than 0 and at most 3600 (e.g. 10 or 2.5)".into(),
        ),
    }
}

/// `--max-age`: a duration (`10m`, `90s`, `0`).
pub(crate) fn parse_age(s: &str) -> Result<std::time::Duration, String> {
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
