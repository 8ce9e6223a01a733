//! Semantic styles. Widgets ask for a role (`theme.danger`, `theme.selected`) and never name a
//! colour, so the monochrome theme (`NO_COLOR`, `--no-color`) is a drop-in swap.
//!
//! The colour theme uses only the 16 ANSI colours and leaves the terminal's own background
//! (`Color::Reset`) everywhere except the selection, so user palettes and light terminals work.
//! The monochrome theme sets no colour at all (every cell keeps `Color::Reset`): it speaks in
//! modifiers only (selection = REVERSED, danger = BOLD|UNDERLINED, focus = bold border, dim = DIM).

use ratatui::style::{Color, Modifier, Style};

use crate::app::Level as ToastLevel;
use crate::risk::Severity;
use crate::scopes::{KeyType, Level};

/// Every style the UI uses, by role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Plain text.
    pub base: Style,
    /// Secondary text: ids, explanations, placeholders.
    pub dim: Style,
    /// Emphasised text (names, headings).
    pub strong: Style,
    /// The header row.
    pub header: Style,
    /// The `sgkeys` brand in the header.
    pub brand: Style,
    /// Pane and modal borders.
    pub border: Style,
    /// Border of the pane or modal with the keyboard.
    pub border_focus: Style,
    /// Pane titles.
    pub title: Style,
    pub title_focus: Style,
    /// Column headers of the key list.
    pub column_header: Style,
    /// The selected row of the focused list.
    pub selected: Style,
    /// The selected row of a list without focus.
    pub selected_unfocused: Style,
    /// Marked keys (bulk actions).
    pub marked: Style,
    /// Errors, destructive actions.
    pub danger: Style,
    /// Work in progress on something destructive ("revoking…").
    pub danger_dim: Style,
    pub warn: Style,
    pub ok: Style,
    pub info: Style,
    /// Highlights: spinner, the focused form field's label, keys in hints.
    pub accent: Style,
    /// A key in the hint line or help.
    pub key: Style,
    pub badge_full: Style,
    pub badge_custom: Style,
    pub badge_billing: Style,
    pub level_no: Style,
    pub level_read: Style,
    pub level_full: Style,
    pub level_partial: Style,
    /// A text input field.
    pub input: Style,
    /// Buttons of dialogs.
    pub button: Style,
    pub button_focus: Style,
    pub button_danger: Style,
    pub button_danger_focus: Style,
    /// The scrollbar thumb.
    pub scrollbar: Style,
    /// Laid over the panes while a modal is open.
    pub backdrop: Style,
    /// Glyph of a marked row.
    pub mark_symbol: &'static str,
}

impl Theme {
    /// The default theme: 16 ANSI colours on the terminal's own background.
    pub fn color() -> Self {
        let fg = |c: Color| Style::new().fg(c);
        let bold = Modifier::BOLD;
        Theme {
            base: Style::new(),
            dim: fg(Color::DarkGray),
            strong: Style::new().add_modifier(bold),
            header: Style::new(),
            brand: fg(Color::Cyan).add_modifier(bold),
            border: fg(Color::DarkGray),
            border_focus: fg(Color::Cyan),
            title: Style::new(),
            title_focus: fg(Color::Cyan).add_modifier(bold),
            column_header: fg(Color::DarkGray).add_modifier(bold),
            selected: Style::new()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(bold),
            selected_unfocused: Style::new().fg(Color::White).bg(Color::DarkGray),
            marked: fg(Color::Yellow).add_modifier(bold),
            danger: fg(Color::Red).add_modifier(bold),
            danger_dim: fg(Color::Red).add_modifier(Modifier::DIM),
            warn: fg(Color::Yellow),
            ok: fg(Color::Green),
            info: fg(Color::Cyan),
            accent: fg(Color::Cyan),
            key: fg(Color::Cyan).add_modifier(bold),
            badge_full: fg(Color::Red),
            badge_custom: fg(Color::Green),
            badge_billing: fg(Color::Magenta),
            level_no: fg(Color::DarkGray),
            level_read: fg(Color::Green).add_modifier(Modifier::REVERSED),
            level_full: fg(Color::Yellow).add_modifier(Modifier::REVERSED),
            level_partial: fg(Color::Magenta).add_modifier(Modifier::REVERSED),
            input: Style::new().add_modifier(Modifier::UNDERLINED),
            button: Style::new(),
            button_focus: Style::new().add_modifier(Modifier::REVERSED | bold),
            button_danger: fg(Color::Red).add_modifier(bold),
            button_danger_focus: fg(Color::Red).add_modifier(Modifier::REVERSED | bold),
            scrollbar: fg(Color::Cyan),
            backdrop: Style::new().add_modifier(Modifier::DIM),
            mark_symbol: "▌",
        }
    }

    /// No colours at all: every cell keeps `Color::Reset`; modifiers carry the meaning.
    pub fn mono() -> Self {
        let m = |m: Modifier| Style::new().add_modifier(m);
        let none = Style::new();
        let bold = Modifier::BOLD;
        let danger = m(Modifier::BOLD | Modifier::UNDERLINED);
        Theme {
            base: none,
            dim: m(Modifier::DIM),
            strong: m(bold),
            header: none,
            brand: m(bold),
            border: none,
            border_focus: m(bold),
            title: none,
            title_focus: m(bold),
            column_header: m(bold | Modifier::DIM),
            selected: m(Modifier::REVERSED),
            selected_unfocused: m(Modifier::UNDERLINED),
            marked: m(bold),
            danger,
            danger_dim: m(Modifier::DIM | Modifier::UNDERLINED),
            warn: m(bold),
            ok: none,
            info: none,
            accent: m(bold),
            key: m(bold),
            badge_full: m(bold),
            badge_custom: none,
            badge_billing: m(Modifier::ITALIC),
            level_no: m(Modifier::DIM),
            level_read: m(Modifier::REVERSED),
            level_full: m(Modifier::REVERSED | bold),
            level_partial: m(Modifier::REVERSED | Modifier::ITALIC),
            input: m(Modifier::UNDERLINED),
            button: none,
            button_focus: m(Modifier::REVERSED | bold),
            button_danger: danger,
            button_danger_focus: m(Modifier::REVERSED | Modifier::BOLD | Modifier::UNDERLINED),
            scrollbar: m(bold),
            backdrop: m(Modifier::DIM),
            mark_symbol: "*",
        }
    }

    /// The theme the app asks for.
    pub fn for_app(app: &crate::app::App) -> Self {
        if app.monochrome {
            Theme::mono()
        } else {
            Theme::color()
        }
    }

    pub fn badge(&self, t: KeyType) -> Style {
        match t {
            KeyType::Full => self.badge_full,
            KeyType::Custom => self.badge_custom,
            KeyType::Billing => self.badge_billing,
        }
    }

    pub fn level(&self, l: Level) -> Style {
        match l {
            Level::No => self.level_no,
            Level::Read => self.level_read,
            Level::Full => self.level_full,
            Level::Partial => self.level_partial,
        }
    }

    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::High => self.danger,
            Severity::Medium => self.warn,
            Severity::Low => self.dim,
        }
    }

    pub fn toast(&self, l: ToastLevel) -> Style {
        match l {
            ToastLevel::Info => self.info,
            ToastLevel::Success => self.ok,
            ToastLevel::Warn => self.warn,
            ToastLevel::Error => self.danger,
        }
    }
}

/// The marker of a risk severity in the key list.
pub fn severity_symbol(s: Severity) -> &'static str {
    match s {
        Severity::High => "●",
        Severity::Medium => "▲",
        Severity::Low => "·",
    }
}
