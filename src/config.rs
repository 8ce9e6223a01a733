//! Settings: the TOML config file (profiles), environment and flags, resolved into one
//! [`Settings`]; and where the API key comes from (env var, a command such as a password
//! manager's, or the file itself when it is private).
//!
//! Precedence, highest first: flags > environment > selected profile > defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::api::{OnBehalfOf, Region};
use crate::secret::{KeyFormatError, Secret};

/// The config file.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Profile used when `--profile` is not given.
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// The dashboard's keys: `action = "key"` (or a list of keys), and per dialog in
    /// `[keys.log]` and the like. Read by the dashboard only ([`key_settings`]).
    #[serde(default)]
    pub keys: toml::Table,
    /// Where each `[keys]` setting is in the file (section, action, 1-based line).
    #[serde(skip)]
    key_lines: Vec<(String, String, usize)>,
}

/// One setting of `[keys]`: an action's keys in a section (`""`: `[keys]` itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySetting {
    pub section: String,
    pub action: String,
    pub keys: Vec<String>,
    /// Its line in the config file, when found.
    pub line: Option<usize>,
}

/// One account or subuser to manage.
#[derive(Debug, Default, Deserialize, PartialEq, Clone)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub region: Option<String>,
    pub base_url: Option<String>,
    /// Where EU subusers' calls go when `base_url` is not SendGrid's own (a simulator, a proxy).
    pub eu_base_url: Option<String>,
    /// A CA certificate (PEM) to trust besides the system's (a TLS-intercepting proxy, `sgkeys sim --tls`).
    pub ca_cert: Option<PathBuf>,
    /// A subuser name or `account-id <id>`.
    pub on_behalf_of: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    /// Name of the environment variable holding the key.
    pub api_key_env: Option<String>,
    /// Shell command whose first output line is the key (e.g. `pass show sendgrid/prod`).
    pub api_key_cmd: Option<String>,
    /// The key itself; only accepted when the file is private (mode 0600).
    pub api_key: Option<String>,
    pub timeout_secs: Option<f64>,
    /// Journal file for this profile (default: the XDG state dir).
    pub journal: Option<PathBuf>,
    /// Dashboard: re-read the key list every this many seconds (0: only on Ctrl-r).
    pub refresh_secs: Option<u64>,
    /// Dashboard colours: `auto`, `dark`, `light` or `mono` (see [`ThemeChoice`]).
    pub theme: Option<String>,
    /// The inventory file for this profile (default: the XDG state dir).
    pub inventory: Option<PathBuf>,
    /// Keep no inventory at all (nothing stored about what was seen).
    #[serde(default)]
    pub no_inventory: bool,
}

/// Errors in configuration; all are usage errors (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("profile '{0}' is not defined in the config file{1}")]
    NoSuchProfile(String, String),
    #[error(
        "config file {path} holds an API key but is readable by others (mode {mode:o}); \
         run `chmod 600 {path}` or move the key to api_key_env / api_key_cmd"
    )]
    InsecureFile { path: PathBuf, mode: u32 },
    #[error("{0}")]
    Invalid(String),
    #[error(
        "no API key: set SENDGRID_API_KEY, pass --api-key-cmd, or configure a profile \
         (see `sgkeys --help` and the README's Configuration section)"
    )]
    NoKey,
    #[error("environment variable {0} is not set (named by the profile's api_key_env)")]
    MissingEnv(String),
    #[error("the API key command failed: {0}")]
    KeyCommand(String),
    #[error("the API key from {source_name} is malformed: {error}")]
    BadKey {
        source_name: String,
        error: KeyFormatError,
    },
}

/// Where the key is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env(String),
    Command(String),
    /// Inline in the (private) config file.
    Inline(PathBuf),
}

impl KeySource {
    pub fn describe(&self) -> String {
        match self {
            KeySource::Env(v) => format!("${v}"),
            KeySource::Command(_) => "the api-key command".into(),
            KeySource::Inline(p) => format!("config file {}", p.display()),
        }
    }
}

/// What flags and environment say (filled by the CLI).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_path: Option<PathBuf>,
    pub profile: Option<String>,
    pub region: Option<Region>,
    pub base_url: Option<String>,
    pub eu_base_url: Option<String>,
    /// `--ca-cert FILE`.
    pub ca_cert: Option<PathBuf>,
    pub on_behalf_of: Option<String>,
    pub timeout: Option<f64>,
    pub api_key_cmd: Option<String>,
    pub read_only: bool,
    pub journal: Option<PathBuf>,
    /// `--refresh SECS`.
    pub refresh: Option<u64>,
    /// `--concurrency N`.
    pub concurrency: Option<usize>,
    /// `--inventory FILE`.
    pub inventory: Option<PathBuf>,
    /// `--no-inventory`.
    pub no_inventory: bool,
}

/// The dashboard's colours as asked for (`--theme`, `SGKEYS_THEME`, the profile's `theme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeChoice {
    /// Ask the terminal for its background colour (OSC 11) and pick dark or light.
    #[default]
    Auto,
    Dark,
    Light,
    /// No colour at all (also `--no-color` and `NO_COLOR`).
    Mono,
}

/// The theme the dashboard draws with, once `auto` has been decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    Mono,
}

impl ThemeChoice {
    /// The valid values, for messages and `--help`.
    pub const NAMES: &'static str = "auto, dark, light, mono";

    /// The fixed theme, or `None` for `auto`.
    pub fn fixed(self) -> Option<ThemeName> {
        match self {
            ThemeChoice::Auto => None,
            ThemeChoice::Dark => Some(ThemeName::Dark),
            ThemeChoice::Light => Some(ThemeName::Light),
            ThemeChoice::Mono => Some(ThemeName::Mono),
        }
    }
}

impl std::str::FromStr for ThemeChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ThemeChoice::Auto),
            "dark" => Ok(ThemeChoice::Dark),
            "light" => Ok(ThemeChoice::Light),
            "mono" => Ok(ThemeChoice::Mono),
            _ => Err(format!(
                "unknown theme '{}' (valid: {})",
                crate::text::clean(s),
                ThemeChoice::NAMES
            )),
        }
    }
}

impl ThemeName {
    pub fn as_str(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
            ThemeName::Mono => "mono",
        }
    }
}

/// The theme asked for, highest first: `--no-color` or a non-empty `NO_COLOR` (always mono),
/// the `--theme` flag, `SGKEYS_THEME`, the profile's `theme`, else `auto`. An empty variable
/// counts as unset; an unknown value is a usage error naming the valid ones.
pub fn theme_choice(
    no_color: bool,
    flag: Option<ThemeChoice>,
    env: impl Fn(&str) -> Option<String>,
    profile: Option<&str>,
) -> Result<ThemeChoice, ConfigError> {
    let set = |v: Option<String>| v.filter(|v| !v.is_empty());
    if no_color || set(env("NO_COLOR")).is_some() {
        return Ok(ThemeChoice::Mono);
    }
    if let Some(t) = flag {
        return Ok(t);
    }
    if let Some(v) = set(env("SGKEYS_THEME")) {
        return v
            .parse()
            .map_err(|e| ConfigError::Invalid(format!("SGKEYS_THEME: {e}")));
    }
    match profile {
        Some(v) => v
            .parse()
            .map_err(|e| ConfigError::Invalid(format!("the profile's theme: {e}"))),
        None => Ok(ThemeChoice::Auto),
    }
}

/// The dashboard's refresh interval when neither `--refresh` nor the profile says otherwise.
pub const DEFAULT_REFRESH_SECS: u64 = 60;

/// Resolved settings for one run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub profile: Option<String>,
    pub base_url: String,
    /// EU subusers' host when `base_url` is not SendGrid's own.
    pub eu_base_url: Option<String>,
    /// Extra CA certificate(s) to trust, PEM, read from `--ca-cert` / the profile's `ca_cert`.
    pub ca_cert_pem: Option<String>,
    /// Requests in flight at most (`--concurrency`; the rate-limit headers lower it further).
    pub concurrency: usize,
    pub region: Region,
    pub on_behalf_of: Option<OnBehalfOf>,
    pub timeout: Duration,
    pub read_only: bool,
    pub key_source: KeySource,
    /// The inline key, when the source is `Inline` (read once with the file).
    inline_key: Option<Secret>,
    pub journal: PathBuf,
    /// The dashboard's periodic refresh in seconds (0: off); `--refresh`, the profile, or 60.
    pub refresh_secs: u64,
    /// The profile's `theme`, unchecked: only the dashboard reads it (through
    /// [`theme_choice`]), so a bad value does not stop the other commands.
    pub profile_theme: Option<String>,
    /// The inventory file, or `None` when none is kept (see [`crate::inventory::resolve_path`]).
    pub inventory: Option<PathBuf>,
}

/// Default config path: `$XDG_CONFIG_HOME/sgkeys/config.toml`.
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "sgkeys").map(|d| d.config_dir().join("config.toml"))
}

/// Default state dir (journal, logs): `$XDG_STATE_HOME/sgkeys`.
pub fn state_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "sgkeys")
        .and_then(|d| d.state_dir().map(Path::to_path_buf))
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().join(".local/state/sgkeys")))
        .unwrap_or_else(|| std::env::temp_dir().join("sgkeys"))
}

/// Whether an environment flag is set to a true value (`1`, `true`, `yes`, `on`).
pub fn env_flag(name: &str) -> bool {
    std::env::var(name)
        .map(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
        .unwrap_or(false)
}

impl ConfigFile {
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let mut file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        if !file.keys.is_empty() {
            file.key_lines = key_lines(text);
        }
        Ok(file)
    }

    /// The `[keys]` settings, each with its line; a value that is not a key (a string) or a
    /// list of keys is refused naming its line.
    pub fn key_settings(&self) -> Result<Vec<KeySetting>, String> {
        let line = |section: &str, action: &str| {
            self.key_lines
                .iter()
                .find(|(s, a, _)| s == section && a == action)
                .map(|(_, _, n)| *n)
        };
        let where_ = |section: &str, action: &str| match line(section, action) {
            Some(n) => format!("line {n} ({action})"),
            None if section.is_empty() => format!("[keys] {action}"),
            None => format!("[keys.{section}] {action}"),
        };
        let keys_of =
            |section: &str, action: &str, v: &toml::Value| -> Result<Vec<String>, String> {
                let bad = || {
                    format!(
                        "{}: a key is written as a string (\"x\", \"Ctrl-r\") or a list of them",
                        where_(section, action)
                    )
                };
                match v {
                    toml::Value::String(s) => Ok(vec![s.clone()]),
                    toml::Value::Array(a) => a
                        .iter()
                        .map(|k| k.as_str().map(str::to_owned).ok_or_else(bad))
                        .collect(),
                    _ => Err(bad()),
                }
            };
        let mut out = Vec::new();
        for (name, v) in &self.keys {
            match v {
                toml::Value::Table(t) => {
                    for (action, v) in t {
                        out.push(KeySetting {
                            section: name.clone(),
                            action: action.clone(),
                            keys: keys_of(name, action, v)?,
                            line: line(name, action),
                        });
                    }
                }
                v => out.push(KeySetting {
                    section: String::new(),
                    action: name.clone(),
                    keys: keys_of("", name, v)?,
                    line: line("", name),
                }),
            }
        }
        Ok(out)
    }

    /// Load the file at `path`; a missing default file is an empty config.
    pub fn load(path: &Path, explicit: bool) -> Result<Self, ConfigError> {
        match crate::fsutil::read_to_string_capped(path, crate::fsutil::MAX_INPUT) {
            Ok(text) => Self::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }
}

/// Where each setting of `[keys]` and `[keys.SECTION]` is: (section, action, 1-based line).
/// A plain reading of the usual layout (one `action = …` per line under its header), for
/// messages only: a setting written otherwise is still applied, named without its line.
fn key_lines(text: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut section: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            let name = line
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            section = if name == "keys" {
                Some(String::new())
            } else {
                name.strip_prefix("keys.")
                    .map(|s| s.trim().trim_matches('"').to_owned())
            };
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if let (Some(s), Some((k, _))) = (&section, line.split_once('=')) {
            let k = k.trim().trim_matches('"').trim_matches('\'');
            out.push((s.clone(), k.to_owned(), i + 1));
        }
    }
    out
}

/// The `[keys]` settings of the config file `--config` (or the default path) names, and that
/// path; none when there is no file.
pub fn key_settings(ov: &Overrides) -> Result<(Option<PathBuf>, Vec<KeySetting>), ConfigError> {
    let (path, explicit) = match &ov.config_path {
        Some(p) => (Some(p.clone()), true),
        None => (default_config_path(), false),
    };
    let Some(path) = path else {
        return Ok((None, Vec::new()));
    };
    let file = ConfigFile::load(&path, explicit)?;
    let settings = file.key_settings().map_err(|message| ConfigError::Parse {
        path: path.clone(),
        message,
    })?;
    Ok((Some(path), settings))
}

/// Resolve settings from flags, environment and the config file.
pub fn resolve(ov: &Overrides) -> Result<Settings, ConfigError> {
    let (path, explicit) = match &ov.config_path {
        Some(p) => (Some(p.clone()), true),
        None => (default_config_path(), false),
    };
    let file = match &path {
        Some(p) => ConfigFile::load(p, explicit)?,
        None => ConfigFile::default(),
    };
    resolve_with(ov, &file, path.as_deref(), |k| std::env::var(k).ok())
}

/// As [`resolve`], with the file and environment given (for tests).
pub fn resolve_with(
    ov: &Overrides,
    file: &ConfigFile,
    path: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let profile_name = ov.profile.clone().or_else(|| file.default_profile.clone());
    let profile = match &profile_name {
        Some(name) => match file.profiles.get(name) {
            Some(p) => p.clone(),
            None => {
                let known: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
                let hint = if known.is_empty() {
                    String::new()
                } else {
                    format!(" (known: {})", known.join(", "))
                };
                return Err(ConfigError::NoSuchProfile(name.clone(), hint));
            }
        },
        None => Profile::default(),
    };
    let region = match (&ov.region, &profile.region) {
        (Some(r), _) => *r,
        (None, Some(r)) => r.parse().map_err(ConfigError::Invalid)?,
        (None, None) => Region::Global,
    };
    let base_url = ov
        .base_url
        .clone()
        .or(if ov.region.is_some() {
            None
        } else {
            profile.base_url.clone()
        })
        .unwrap_or_else(|| region.base_url().to_owned());
    check_base_url(&base_url)?;
    let on_behalf_of = ov
        .on_behalf_of
        .as_deref()
        .or(profile.on_behalf_of.as_deref())
        .map(|s| {
            OnBehalfOf::parse(s).map_err(|e| ConfigError::Invalid(format!("--on-behalf-of: {e}")))
        })
        .transpose()?;
    let timeout = ov.timeout.or(profile.timeout_secs).unwrap_or(10.0);
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 3600.0) {
        return Err(ConfigError::Invalid(format!(
            "timeout must be between 0 and 3600 seconds, got {timeout}"
        )));
    }
    let read_only = ov.read_only
        || env("SGKEYS_READ_ONLY").is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
        || profile.read_only;
    let mut inline_key = None;
    let key_source = if let Some(cmd) = &ov.api_key_cmd {
        KeySource::Command(cmd.clone())
    } else if let Some(cmd) = &profile.api_key_cmd {
        KeySource::Command(cmd.clone())
    } else if let Some(var) = &profile.api_key_env {
        KeySource::Env(var.clone())
    } else if let Some(raw) = &profile.api_key {
        let path = path.map(Path::to_path_buf).unwrap_or_default();
        check_private(&path)?;
        inline_key = Some(Secret::parse(raw).map_err(|error| ConfigError::BadKey {
            source_name: format!("config file {}", path.display()),
            error,
        })?);
        KeySource::Inline(path)
    } else {
        KeySource::Env("SENDGRID_API_KEY".into())
    };
    let journal = ov
        .journal
        .clone()
        .or_else(|| env("SGKEYS_JOURNAL").map(PathBuf::from))
        .or(profile.journal.clone())
        .unwrap_or_else(|| state_dir().join("journal.jsonl"));
    let eu_base_url = ov.eu_base_url.clone().or(profile.eu_base_url.clone());
    if let Some(u) = &eu_base_url {
        check_base_url(u)?;
    }
    let ca_cert_pem = match ov.ca_cert.clone().or(profile.ca_cert.clone()) {
        None => None,
        Some(path) => Some(read_ca_cert(&path)?),
    };
    Ok(Settings {
        profile: profile_name,
        base_url,
        eu_base_url,
        ca_cert_pem,
        concurrency: ov
            .concurrency
            .unwrap_or(crate::api::client::DEFAULT_CONCURRENCY),
        region,
        on_behalf_of,
        timeout: Duration::from_secs_f64(timeout),
        read_only,
        key_source,
        inline_key,
        journal,
        refresh_secs: ov
            .refresh
            .or(profile.refresh_secs)
            .unwrap_or(DEFAULT_REFRESH_SECS),
        profile_theme: profile.theme.clone(),
        inventory: crate::inventory::resolve_path(
            ov.no_inventory,
            ov.inventory.clone(),
            &env,
            profile.no_inventory,
            profile.inventory.clone(),
            state_dir().join(crate::inventory::FILE_NAME),
        ),
    })
}

/// The `--ca-cert` file: PEM certificate(s), read whole up to 1 MiB (a CA bundle is some
/// 200 KB): a larger file, or one that never ends (`/dev/zero`), is refused with the flag's
/// name, never read into memory.
fn read_ca_cert(path: &Path) -> Result<String, ConfigError> {
    let text = crate::fsutil::read_to_string_capped(path, crate::fsutil::MAX_INPUT).map_err(
        |e| match e.kind() {
            std::io::ErrorKind::InvalidData => ConfigError::Invalid(format!(
                "--ca-cert {}: {e}: expected a PEM certificate file (-----BEGIN CERTIFICATE-----)",
                path.display()
            )),
            _ => ConfigError::Read {
                path: path.to_path_buf(),
                source: e,
            },
        },
    )?;
    if !text.contains("-----BEGIN CERTIFICATE-----") {
        return Err(ConfigError::Invalid(format!(
            "--ca-cert {}: not a PEM certificate file (expected -----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(text)
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ConfigError::InsecureFile {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), ConfigError> {
    Ok(())
}

impl Settings {
    /// Read the API key from its source.
    pub fn api_key(&self) -> Result<Secret, ConfigError> {
        self.api_key_with(|k| std::env::var(k).ok())
    }

    pub fn api_key_with(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Secret, ConfigError> {
        let source_name = self.key_source.describe();
        let raw = match &self.key_source {
            KeySource::Inline(_) => return self.inline_key.clone().ok_or(ConfigError::NoKey),
            KeySource::Env(var) => match env(var) {
                Some(v) if !v.trim().is_empty() => v,
                _ if var == "SENDGRID_API_KEY" => return Err(ConfigError::NoKey),
                _ => return Err(ConfigError::MissingEnv(var.clone())),
            },
            KeySource::Command(cmd) => run_key_command(cmd)?,
        };
        Secret::parse(&raw).map_err(|error| ConfigError::BadKey { source_name, error })
    }

    /// A short description of the context: base URL, acting-as, profile.
    pub fn context_label(&self) -> String {
        let mut s = match &self.on_behalf_of {
            Some(o) => format!("{o}"),
            None => "own account".to_owned(),
        };
        if let Some(p) = &self.profile {
            s = format!("{p}: {s}");
        }
        s
    }
}

/// How long the API key command may run (`SGKEYS_KEY_CMD_TIMEOUT`, in seconds, overrides it).
pub const KEY_CMD_TIMEOUT: Duration = Duration::from_secs(30);
/// Most output accepted from the API key command (a key is 69 bytes).
pub const KEY_CMD_MAX_OUTPUT: u64 = 64 * 1024;
/// Most of its stderr kept for an error message (the rest is read and dropped).
const KEY_CMD_MAX_STDERR: u64 = 16 * 1024;

/// The key command's time limit: `SGKEYS_KEY_CMD_TIMEOUT` when it is a positive number of
/// seconds (at most an hour), else [`KEY_CMD_TIMEOUT`].
fn key_cmd_timeout() -> Duration {
    std::env::var("SGKEYS_KEY_CMD_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map_or(KEY_CMD_TIMEOUT, Duration::from_secs_f64)
}

/// Run a key command with `sh -c` and take the first non-empty line of its output. Its output
/// is never echoed; its stderr is shown (clipped, anything key-shaped redacted) when it fails.
fn run_key_command(cmd: &str) -> Result<String, ConfigError> {
    run_key_command_within(cmd, key_cmd_timeout())
}

fn run_key_command_within(cmd: &str, timeout: Duration) -> Result<String, ConfigError> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::sync::mpsc;

    enum Done {
        Out(std::io::Result<Vec<u8>>),
        Err(Vec<u8>),
    }
    let fail = |m: String| ConfigError::KeyCommand(m);
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run sh: {e}")))?;
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            // Stop at one byte over the cap; dropping the pipe then stops an endless writer.
            let mut buf = Vec::new();
            let r = out
                .take(KEY_CMD_MAX_OUTPUT + 1)
                .read_to_end(&mut buf)
                .map(|_| buf);
            let _ = tx.send(Done::Out(r));
        });
    }
    if let Some(mut err) = child.stderr.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = (&mut err).take(KEY_CMD_MAX_STDERR).read_to_end(&mut buf);
            // Keep draining so a chatty command does not block on a full pipe.
            let _ = std::io::copy(&mut err, &mut std::io::sink());
            let _ = tx.send(Done::Err(buf));
        });
    }
    drop(tx);
    let deadline = std::time::Instant::now() + timeout;
    let mut out: Option<std::io::Result<Vec<u8>>> = None;
    let mut err: Option<Vec<u8>> = None;
    let mut status = None;
    let result = loop {
        if status.is_none() {
            status = child
                .try_wait()
                .map_err(|e| fail(format!("cannot wait for it: {e}")))?;
        }
        match &out {
            Some(Ok(bytes)) if bytes.len() as u64 > KEY_CMD_MAX_OUTPUT => {
                break Err(fail(format!(
                    "api_key_cmd printed more than {}",
                    crate::fsutil::human_size(KEY_CMD_MAX_OUTPUT)
                )));
            }
            Some(Err(e)) => break Err(fail(format!("cannot read its output: {e}"))),
            _ => {}
        }
        if let (Some(status), Some(Ok(_)), Some(_)) = (status, &out, &err) {
            break Ok(status);
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break Err(fail(format!(
                "api_key_cmd did not finish within {}",
                seconds(timeout)
            )));
        }
        match rx.recv_timeout(left.min(Duration::from_millis(10))) {
            Ok(Done::Out(o)) => out = Some(o),
            Ok(Done::Err(e)) => err = Some(e),
            Err(_) => {}
        }
    };
    let status = match result {
        Ok(status) => status,
        Err(e) => {
            // Stop it; its readers end when whatever still holds the pipes exits.
            if status.is_none() {
                let _ = child.kill();
                let _ = child.wait();
            }
            return Err(e);
        }
    };
    if !status.success() {
        let err = String::from_utf8_lossy(err.as_deref().unwrap_or_default());
        // Redact before clipping, so a clipped key cannot slip through half-shown.
        let err = crate::secret::redact_keys(err.trim());
        let err = crate::api::error::clip(&err, 200);
        return Err(fail(format!(
            "exited with {status}{}",
            if err.is_empty() {
                String::new()
            } else {
                format!(": {err}")
            }
        )));
    }
    let out = match out {
        Some(Ok(bytes)) => bytes,
        _ => Vec::new(),
    };
    let text = String::from_utf8_lossy(&out);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| fail("printed nothing".into()))
}

/// `30 s`, `1.5 s`.
fn seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A base URL must be http(s), and must not carry credentials (`user:password@`): sgkeys
/// authenticates with the API key alone, and a URL is printed and journaled, so credentials in it
/// would leak. The message never repeats the URL when it holds any.
fn check_base_url(base_url: &str) -> Result<(), ConfigError> {
    let parsed = reqwest::Url::parse(base_url);
    if let Ok(u) = &parsed
        && (!u.username().is_empty() || u.password().is_some())
    {
        return Err(ConfigError::Invalid(
            "the base URL carries credentials (user:password@…): remove them; sgkeys \
             authenticates with the API key only (the URL is not shown here because of them)"
                .into(),
        ));
    }
    let shown = crate::text::clean(base_url).into_owned();
    match parsed {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(ConfigError::Invalid(format!(
            "base URL '{shown}' must be https://HOST (or http:// for a local simulator)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "SG.qfTQ6KG0QBiwWdJ0-pCLCA.abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE";

    #[test]
    fn key_settings_carry_their_lines() {
        let f = file(
            "default_profile = 'a'\n[profiles.a]\nregion = 'eu'\n\n[keys]\nrevoke = \"x\"\n# a comment\ndown = [\"n\", \"Down\"]\n\n[keys.log]\nfilter = 'f'\n",
        );
        let s = f.key_settings().unwrap();
        let find = |sec: &str, a: &str| {
            s.iter()
                .find(|k| k.section == sec && k.action == a)
                .unwrap()
        };
        assert_eq!(find("", "revoke").keys, ["x"]);
        assert_eq!(find("", "revoke").line, Some(6));
        assert_eq!(find("", "down").keys, ["n", "Down"]);
        assert_eq!(find("", "down").line, Some(8));
        assert_eq!(find("log", "filter").line, Some(11));
        let e = file("[keys]\nrevoke = 3\n").key_settings().unwrap_err();
        assert!(e.starts_with("line 2 (revoke)"), "{e}");
    }

    fn file(text: &str) -> ConfigFile {
        ConfigFile::parse(text, Path::new("c.toml")).unwrap()
    }

    #[test]
    fn no_config_uses_sendgrid_api_key() {
        let s = resolve_with(&Overrides::default(), &ConfigFile::default(), None, |_| {
            None
        })
        .unwrap();
        assert_eq!(s.base_url, "https://api.sendgrid.com");
        assert_eq!(s.key_source, KeySource::Env("SENDGRID_API_KEY".into()));
        assert!(matches!(s.api_key_with(|_| None), Err(ConfigError::NoKey)));
        let k = s
            .api_key_with(|k| (k == "SENDGRID_API_KEY").then(|| format!("{KEY}\n")))
            .unwrap();
        assert_eq!(k.key_id(), Some("qfTQ6KG0QBiwWdJ0-pCLCA"));
        let bad = s
            .api_key_with(|_| Some("SG.nope".into()))
            .unwrap_err()
            .to_string();
        assert!(
            bad.contains("69 characters") && !bad.contains("nope"),
            "{bad}"
        );
    }

    #[test]
    fn the_dashboard_refresh_comes_from_the_flag_the_profile_or_60s() {
        let f = file(
            r#"
            [profiles.slow]
            refresh_secs = 300
            "#,
        );
        let s = resolve_with(&Overrides::default(), &f, None, |_| None).unwrap();
        assert_eq!(s.refresh_secs, 60);
        let ov = Overrides {
            profile: Some("slow".into()),
            ..Default::default()
        };
        assert_eq!(
            resolve_with(&ov, &f, None, |_| None).unwrap().refresh_secs,
            300
        );
        let ov = Overrides {
            profile: Some("slow".into()),
            refresh: Some(0),
            ..Default::default()
        };
        assert_eq!(
            resolve_with(&ov, &f, None, |_| None).unwrap().refresh_secs,
            0
        );
    }

    #[test]
    fn the_theme_comes_from_no_color_the_flag_the_env_the_profile_or_auto() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let none = env(&[]);
        assert_eq!(
            theme_choice(false, None, none, None).unwrap(),
            ThemeChoice::Auto
        );
        assert_eq!(
            theme_choice(false, None, env(&[]), Some("Light")).unwrap(),
            ThemeChoice::Light
        );
        let light_env = env(&[("SGKEYS_THEME", "light")]);
        assert_eq!(
            theme_choice(false, None, light_env, Some("dark")).unwrap(),
            ThemeChoice::Light,
            "env beats the profile"
        );
        assert_eq!(
            theme_choice(false, Some(ThemeChoice::Dark), light_env, Some("mono")).unwrap(),
            ThemeChoice::Dark,
            "the flag beats env and profile"
        );
        // an empty variable is unset
        let empty = env(&[("SGKEYS_THEME", ""), ("NO_COLOR", "")]);
        assert_eq!(
            theme_choice(false, None, empty, Some("light")).unwrap(),
            ThemeChoice::Light
        );
        // --no-color and NO_COLOR always mean mono
        assert_eq!(
            theme_choice(true, Some(ThemeChoice::Light), env(&[]), None).unwrap(),
            ThemeChoice::Mono
        );
        let no_color = env(&[("NO_COLOR", "1"), ("SGKEYS_THEME", "light")]);
        assert_eq!(
            theme_choice(false, Some(ThemeChoice::Dark), no_color, None).unwrap(),
            ThemeChoice::Mono
        );
        // unknown values name the valid ones, from wherever they came
        let bad = env(&[("SGKEYS_THEME", "solarized")]);
        let e = theme_choice(false, None, bad, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("SGKEYS_THEME") && e.contains("auto, dark, light, mono"),
            "{e}"
        );
        let e = theme_choice(false, None, env(&[]), Some("neon"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("theme 'neon'") && e.contains("auto, dark, light, mono"),
            "{e}"
        );
        // the profile's value is carried unchecked, so other commands are not stopped by it
        let f = file("[profiles.p]\ntheme = \"neon\"\n");
        let ov = Overrides {
            profile: Some("p".into()),
            ..Default::default()
        };
        let s = resolve_with(&ov, &f, None, |_| None).unwrap();
        assert_eq!(s.profile_theme.as_deref(), Some("neon"));
    }

    #[test]
    fn a_ca_cert_comes_from_the_flag_or_the_profile_and_must_be_pem() {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("ca.pem");
        let text = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        std::fs::write(&pem, text).unwrap();
        let other = dir.path().join("other.pem");
        std::fs::write(&other, "junk").unwrap();
        let f = file(&format!(
            "[profiles.proxy]\nca_cert = {:?}\n",
            pem.display().to_string()
        ));
        let s = resolve_with(&Overrides::default(), &f, None, |_| None).unwrap();
        assert_eq!(s.ca_cert_pem, None);
        let ov = Overrides {
            profile: Some("proxy".into()),
            ..Default::default()
        };
        let s = resolve_with(&ov, &f, None, |_| None).unwrap();
        assert_eq!(s.ca_cert_pem.as_deref(), Some(text));
        let ov = Overrides {
            profile: Some("proxy".into()),
            ca_cert: Some(other.clone()),
            ..Default::default()
        };
        let e = resolve_with(&ov, &f, None, |_| None).unwrap_err();
        assert!(e.to_string().contains("not a PEM certificate"), "{e}");
    }

    #[test]
    fn profiles_and_precedence() {
        let f = file(
            r#"
            default_profile = "eu"
            [profiles.eu]
            region = "eu"
            on_behalf_of = "acme-eu"
            read_only = true
            api_key_env = "EU_KEY"
            timeout_secs = 3
            [profiles.sim]
            base_url = "http://127.0.0.1:9999"
            api_key_cmd = "echo hi"
            "#,
        );
        let s = resolve_with(&Overrides::default(), &f, None, |_| None).unwrap();
        assert_eq!(s.base_url, "https://api.eu.sendgrid.com");
        assert_eq!(s.on_behalf_of, Some(OnBehalfOf::Subuser("acme-eu".into())));
        assert!(s.read_only);
        assert_eq!(s.timeout, Duration::from_secs(3));
        assert!(
            matches!(s.api_key_with(|_| None), Err(ConfigError::MissingEnv(v)) if v == "EU_KEY")
        );

        let ov = Overrides {
            profile: Some("sim".into()),
            on_behalf_of: Some("account-id 42".into()),
            ..Default::default()
        };
        let s = resolve_with(&ov, &f, None, |_| None).unwrap();
        assert_eq!(s.base_url, "http://127.0.0.1:9999");
        assert_eq!(s.on_behalf_of, Some(OnBehalfOf::AccountId("42".into())));
        assert_eq!(s.key_source, KeySource::Command("echo hi".into()));
        assert!(!s.read_only);
        // env turns read-only on
        let s = resolve_with(&ov, &f, None, |k| {
            (k == "SGKEYS_READ_ONLY").then(|| "1".into())
        })
        .unwrap();
        assert!(s.read_only);
        // flag region beats profile base_url
        let ov = Overrides {
            profile: Some("sim".into()),
            region: Some(Region::Eu),
            ..Default::default()
        };
        assert_eq!(
            resolve_with(&ov, &f, None, |_| None).unwrap().base_url,
            "https://api.eu.sendgrid.com"
        );
    }

    #[test]
    fn unknown_profile_and_bad_values_are_clear() {
        let f = file("[profiles.a]\n");
        let ov = Overrides {
            profile: Some("b".into()),
            ..Default::default()
        };
        let e = resolve_with(&ov, &f, None, |_| None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("'b'") && e.contains("known: a"), "{e}");
        let e =
            ConfigFile::parse("[profiles.a]\nregoin = 'eu'\n", Path::new("c.toml")).unwrap_err();
        assert!(e.to_string().contains("regoin"), "{e}");
        let f = file("[profiles.a]\nregion = 'mars'\n");
        let ov = Overrides {
            profile: Some("a".into()),
            ..Default::default()
        };
        assert!(
            resolve_with(&ov, &f, None, |_| None)
                .unwrap_err()
                .to_string()
                .contains("mars")
        );
        let ov = Overrides {
            base_url: Some("ftp://x".into()),
            ..Default::default()
        };
        assert!(resolve_with(&ov, &ConfigFile::default(), None, |_| None).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn inline_key_needs_a_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            format!("default_profile='p'\n[profiles.p]\napi_key = '{KEY}'\n"),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let ov = Overrides {
            config_path: Some(path.clone()),
            ..Default::default()
        };
        let e = resolve(&ov).unwrap_err();
        assert!(
            matches!(e, ConfigError::InsecureFile { mode: 0o644, .. }),
            "{e}"
        );
        assert!(!e.to_string().contains(KEY));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let s = resolve(&ov).unwrap();
        assert_eq!(s.api_key().unwrap().expose(), KEY);
    }

    #[test]
    fn key_command_takes_first_line_and_reports_failures() {
        assert_eq!(
            run_key_command(&format!("printf '\\n{KEY}\\nextra'")).unwrap(),
            KEY
        );
        let e = run_key_command("echo oops >&2; exit 3")
            .unwrap_err()
            .to_string();
        assert!(e.contains("oops") && e.contains('3'), "{e}");
        assert!(
            run_key_command("true")
                .unwrap_err()
                .to_string()
                .contains("printed nothing")
        );
    }

    #[test]
    fn a_hanging_key_command_is_killed_at_the_timeout() {
        let t = std::time::Instant::now();
        let e = run_key_command_within("sleep 100", Duration::from_secs(1))
            .unwrap_err()
            .to_string();
        let took = t.elapsed();
        assert!(e.contains("did not finish within 1 s"), "{e}");
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(3),
            "{took:?}"
        );
        // the default, and a command that finishes in time
        assert_eq!(KEY_CMD_TIMEOUT, Duration::from_secs(30));
        assert_eq!(seconds(KEY_CMD_TIMEOUT), "30 s");
        assert_eq!(
            run_key_command_within(&format!("sleep 0.1; echo {KEY}"), Duration::from_secs(5))
                .unwrap(),
            KEY
        );
    }

    #[test]
    fn endless_key_command_output_is_capped() {
        let t = std::time::Instant::now();
        let e = run_key_command_within("yes", Duration::from_secs(20))
            .unwrap_err()
            .to_string();
        assert!(e.contains("api_key_cmd printed more than 64 KiB"), "{e}");
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        // exactly the cap is fine
        let cmd = format!(
            "echo {KEY}; head -c {} /dev/zero | tr '\\0' x",
            64 * 1024 - 70
        );
        assert_eq!(
            run_key_command_within(&cmd, Duration::from_secs(20)).unwrap(),
            KEY
        );
        // and a command flooding stderr does not block
        let cmd = format!("head -c 1000000 /dev/zero >&2; echo {KEY}");
        assert_eq!(
            run_key_command_within(&cmd, Duration::from_secs(20)).unwrap(),
            KEY
        );
    }

    #[test]
    fn a_key_in_a_failing_commands_stderr_is_redacted() {
        let e = run_key_command(&format!("echo 'bad: {KEY} rejected' >&2; exit 1"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad: SG.…redacted rejected"), "{e}");
        assert!(!e.contains(&KEY[26..]), "{e}");
        // even where clipping would have cut it
        let pad = "x".repeat(180);
        let e = run_key_command(&format!("echo '{pad} {KEY}' >&2; exit 1"))
            .unwrap_err()
            .to_string();
        assert!(!e.contains(&KEY[26..40]), "{e}");
    }

    #[test]
    fn an_endless_config_file_is_an_error() {
        let e = ConfigFile::load(Path::new("/dev/zero"), true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("larger than 1 MiB"), "{e}");
    }
}
