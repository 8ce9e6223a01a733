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

mod key_command;
mod theme;

use key_command::run_key_command;
pub use key_command::{KEY_CMD_MAX_OUTPUT, KEY_CMD_TIMEOUT};
pub use theme::{ThemeChoice, ThemeName, theme_choice};

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
mod tests;
