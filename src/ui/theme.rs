//! Semantic styles. Widgets ask for a role (`theme.danger`, `theme.selected`) and never name a
//! colour, so a theme is a drop-in swap.
//!
//! Three themes (`--theme`): `dark` and `light` use the xterm 256-colour palette's indices
//! 16–255 only (the 6×6×6 cube and the grey ramp), whose RGB values are standard, so every
//! colour pair can be checked for WCAG AA contrast (4.5:1) — the 16 ANSI colours have no
//! defined RGB and are not used. Each colour theme names the backgrounds it is designed for
//! ([`Theme::backgrounds`]) and otherwise keeps the terminal's own background (`Color::Reset`),
//! except where a style brings its own `bg` (selection, level badges, focused buttons). No
//! meaning rides on `DIM` or `REVERSED` there (their colours are the terminal's guess): secondary
//! text is an explicit grey that passes. Roles that set no colour (plain text) keep the
//! terminal's own pair.
//!
//! The monochrome theme (`mono`, `NO_COLOR`, `--no-color`) sets no colour at all (every cell
//! keeps `Color::Reset`): it speaks in modifiers only (selection = REVERSED, danger =
//! BOLD|UNDERLINED, focus = bold border, dim = DIM).

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use crate::app::Level as ToastLevel;
use crate::config::ThemeName;
use crate::risk::Severity;
use crate::scopes::{KeyType, Level};

/// Every style the UI uses, by role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Which theme this is.
    pub name: ThemeName,
    /// The terminal backgrounds the colours are designed (and tested) for, by name; empty for
    /// `mono`, which sets no colour.
    pub backgrounds: &'static [(&'static str, Color)],
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
    /// A suggestion of the command line (what Tab would take): never looks typed.
    pub suggestion: Style,
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

/// An xterm 256-colour palette entry (16–255: standard RGB).
const fn ix(i: u8) -> Color {
    Color::Indexed(i)
}

// The palette: xterm indices with their RGB, so the contrast figures can be checked by eye.
const WHITE: Color = ix(231); // #ffffff
const BLACK: Color = ix(16); // #000000
const SEL_BLUE: Color = ix(25); // #005faf
const RED_BG: Color = ix(124); // #af0000

/// Backgrounds the dark theme is designed for: black up to the usual dark greys.
const DARK_BACKGROUNDS: &[(&str, Color)] = &[
    ("black #000000", Color::Rgb(0x00, 0x00, 0x00)),
    ("VS Code #1e1e1e", Color::Rgb(0x1e, 0x1e, 0x1e)),
    ("One Dark #282c34", Color::Rgb(0x28, 0x2c, 0x34)),
    ("Solarized dark #002b36", Color::Rgb(0x00, 0x2b, 0x36)),
    ("Ubuntu #300a24", Color::Rgb(0x30, 0x0a, 0x24)),
];

/// Backgrounds the light theme is designed for: white down to a light grey.
const LIGHT_BACKGROUNDS: &[(&str, Color)] = &[
    ("white #ffffff", Color::Rgb(0xff, 0xff, 0xff)),
    ("Solarized light #fdf6e3", Color::Rgb(0xfd, 0xf6, 0xe3)),
    ("light grey #eeeeee", Color::Rgb(0xee, 0xee, 0xee)),
];

impl Theme {
    /// The theme by name.
    pub fn named(name: ThemeName) -> Self {
        match name {
            ThemeName::Dark => Theme::dark(),
            ThemeName::Light => Theme::light(),
            ThemeName::Mono => Theme::mono(),
        }
    }

    /// For dark backgrounds ([`DARK_BACKGROUNDS`]): light greys, cyan, green, yellow, a light red.
    pub fn dark() -> Self {
        let fg = |c: Color| Style::new().fg(c);
        let on = |f: Color, b: Color| Style::new().fg(f).bg(b);
        let bold = Modifier::BOLD;
        let grey = ix(247); // #9e9e9e, 5.2:1 on #282c34
        let border = ix(246); // #949494, 4.6:1
        let cyan = ix(80); // #5fd7d7
        let red = ix(203); // #ff5f5f, 4.7:1
        let muted_red = ix(174); // #d78787
        let yellow = ix(220); // #ffd700
        let green = ix(114); // #87d787
        let magenta = ix(176); // #d787d7
        Theme {
            name: ThemeName::Dark,
            backgrounds: DARK_BACKGROUNDS,
            base: Style::new(),
            dim: fg(grey),
            strong: Style::new().add_modifier(bold),
            header: Style::new(),
            brand: fg(cyan).add_modifier(bold),
            border: fg(border),
            border_focus: fg(cyan),
            title: Style::new(),
            title_focus: fg(cyan).add_modifier(bold),
            column_header: fg(grey).add_modifier(bold),
            selected: on(WHITE, SEL_BLUE).add_modifier(bold),
            selected_unfocused: on(WHITE, ix(240)), // #585858
            marked: fg(yellow).add_modifier(bold),
            danger: fg(red).add_modifier(bold),
            danger_dim: fg(muted_red),
            warn: fg(yellow),
            ok: fg(green),
            info: fg(cyan),
            accent: fg(cyan),
            key: fg(cyan).add_modifier(bold),
            suggestion: fg(grey).add_modifier(Modifier::ITALIC),
            badge_full: fg(red),
            badge_custom: fg(green),
            badge_billing: fg(magenta),
            level_no: fg(grey),
            level_read: on(BLACK, green),
            level_full: on(BLACK, yellow),
            level_partial: on(BLACK, magenta),
            input: Style::new().add_modifier(Modifier::UNDERLINED),
            button: Style::new(),
            button_focus: on(WHITE, SEL_BLUE).add_modifier(bold),
            button_danger: fg(red).add_modifier(bold),
            button_danger_focus: on(WHITE, RED_BG).add_modifier(bold),
            scrollbar: fg(cyan),
            // everything behind a dialog turns grey on the terminal's background
            backdrop: fg(grey).bg(Color::Reset),
            mark_symbol: "▌",
        }
    }

    /// For light backgrounds ([`LIGHT_BACKGROUNDS`]): dark greys, blue, green, a dark amber for
    /// warnings and "Full" (yellow is unreadable on white), dark red.
    pub fn light() -> Self {
        let fg = |c: Color| Style::new().fg(c);
        let on = |f: Color, b: Color| Style::new().fg(f).bg(b);
        let bold = Modifier::BOLD;
        let grey = ix(241); // #626262, 5.3:1 on #eeeeee
        let border = ix(242); // #6c6c6c, 4.5:1
        let blue = ix(24); // #005f87
        let red = ix(124); // #af0000
        let muted_red = ix(95); // #875f5f
        let amber = ix(94); // #875f00, 4.9:1
        let orange = ix(130); // #af5f00, under white text 4.7:1
        let green = ix(22); // #005f00
        let magenta = ix(90); // #870087
        Theme {
            name: ThemeName::Light,
            backgrounds: LIGHT_BACKGROUNDS,
            base: Style::new(),
            dim: fg(grey),
            strong: Style::new().add_modifier(bold),
            header: Style::new(),
            brand: fg(blue).add_modifier(bold),
            border: fg(border),
            border_focus: fg(blue),
            title: Style::new(),
            title_focus: fg(blue).add_modifier(bold),
            column_header: fg(grey).add_modifier(bold),
            selected: on(WHITE, SEL_BLUE).add_modifier(bold),
            selected_unfocused: on(BLACK, ix(252)), // #d0d0d0
            marked: fg(amber).add_modifier(bold),
            danger: fg(red).add_modifier(bold),
            danger_dim: fg(muted_red),
            warn: fg(amber),
            ok: fg(green),
            info: fg(blue),
            accent: fg(blue),
            key: fg(blue).add_modifier(bold),
            suggestion: fg(grey).add_modifier(Modifier::ITALIC),
            badge_full: fg(red),
            badge_custom: fg(green),
            badge_billing: fg(magenta),
            level_no: fg(grey),
            level_read: on(WHITE, green),
            level_full: on(WHITE, orange),
            level_partial: on(WHITE, magenta),
            input: Style::new().add_modifier(Modifier::UNDERLINED),
            button: Style::new(),
            button_focus: on(WHITE, SEL_BLUE).add_modifier(bold),
            button_danger: fg(red).add_modifier(bold),
            button_danger_focus: on(WHITE, RED_BG).add_modifier(bold),
            scrollbar: fg(blue),
            backdrop: fg(grey).bg(Color::Reset),
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
            name: ThemeName::Mono,
            backgrounds: &[],
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
            suggestion: m(Modifier::DIM | Modifier::ITALIC),
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
        Theme::named(app.theme)
    }

    /// Every style role with its name, for checks over the whole palette (the contrast test).
    /// The destructuring names every field, so a new role does not compile until it is listed.
    pub fn roles(&self) -> Vec<(&'static str, Style)> {
        let Theme {
            name: _,
            backgrounds: _,
            base,
            dim,
            strong,
            header,
            brand,
            border,
            border_focus,
            title,
            title_focus,
            column_header,
            selected,
            selected_unfocused,
            marked,
            danger,
            danger_dim,
            warn,
            ok,
            info,
            accent,
            key,
            suggestion,
            badge_full,
            badge_custom,
            badge_billing,
            level_no,
            level_read,
            level_full,
            level_partial,
            input,
            button,
            button_focus,
            button_danger,
            button_danger_focus,
            scrollbar,
            backdrop,
            mark_symbol: _,
        } = *self;
        vec![
            ("base", base),
            ("dim", dim),
            ("strong", strong),
            ("header", header),
            ("brand", brand),
            ("border", border),
            ("border_focus", border_focus),
            ("title", title),
            ("title_focus", title_focus),
            ("column_header", column_header),
            ("selected", selected),
            ("selected_unfocused", selected_unfocused),
            ("marked", marked),
            ("danger", danger),
            ("danger_dim", danger_dim),
            ("warn", warn),
            ("ok", ok),
            ("info", info),
            ("accent", accent),
            ("key", key),
            ("suggestion", suggestion),
            ("badge_full", badge_full),
            ("badge_custom", badge_custom),
            ("badge_billing", badge_billing),
            ("level_no", level_no),
            ("level_read", level_read),
            ("level_full", level_full),
            ("level_partial", level_partial),
            ("input", input),
            ("button", button),
            ("button_focus", button_focus),
            ("button_danger", button_danger),
            ("button_danger_focus", button_danger_focus),
            ("scrollbar", scrollbar),
            ("backdrop", backdrop),
        ]
    }

    /// A pane's frame: its border and title, focused or not.
    pub fn pane<'a>(&self, title: impl Into<String>, focused: bool) -> Block<'a> {
        let (border, title_style) = if focused {
            (self.border_focus, self.title_focus)
        } else {
            (self.border, self.title)
        };
        Block::new()
            .borders(Borders::ALL)
            .border_style(border)
            .title(Line::from(Span::styled(title.into(), title_style)))
    }

    /// A list pane's frame with the cursor's position (`3/40`) in its bottom border, when the
    /// list has rows and the pane is wider than 12 columns.
    pub fn list_pane<'a>(
        &self,
        title: String,
        focused: bool,
        (selected, n): (usize, usize),
        width: u16,
    ) -> Block<'a> {
        let block = self.pane(title, focused);
        if n == 0 || width <= 12 {
            return block;
        }
        let pos = format!(" {}/{n} ", selected.min(n - 1) + 1);
        block.title_bottom(Line::from(Span::styled(pos, self.dim)).right_aligned())
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

/// The RGB of a colour with a defined value: `Color::Rgb`, or an xterm 256-colour index 16–255
/// (the 6×6×6 cube with levels 0, 95, 135, 175, 215, 255, then the grey ramp 8, 18, …, 238).
/// `None` for the 16 ANSI colours (the terminal's palette decides them) and `Reset`.
pub fn rgb(c: Color) -> Option<(u8, u8, u8)> {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match c {
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(i @ 16..=231) => {
            let i = usize::from(i - 16);
            Some((LEVELS[i / 36], LEVELS[(i / 6) % 6], LEVELS[i % 6]))
        }
        Color::Indexed(i @ 232..=255) => {
            let g = 8 + 10 * (i - 232);
            Some((g, g, g))
        }
        _ => None,
    }
}

/// WCAG 2 relative luminance of an sRGB colour given as 0.0–1.0 channels.
pub fn relative_luminance(r: f64, g: f64, b: f64) -> f64 {
    let lin = |c: f64| {
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG 2 relative luminance of an 8-bit sRGB colour.
pub fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let c = |v: u8| f64::from(v) / 255.0;
    relative_luminance(c(r), c(g), c(b))
}

/// WCAG 2 contrast ratio of two colours (1.0–21.0; AA for text is 4.5).
pub fn contrast_ratio(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}
