//! The dashboard's theme as asked for: `--no-color`, `NO_COLOR`, `--theme`, `SGKEYS_THEME`, the profile.

use super::ConfigError;

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
