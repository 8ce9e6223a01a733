//! The one keymap table. It drives key dispatch, the status-bar hints and the `?` help overlay:
//! a key that is not in this table does not exist. Bindings that change data are flagged
//! `writes` and vanish from hints and help in read-only mode (pressing them says why).

use std::cell::Cell;
use std::sync::LazyLock;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Which set of bindings is active (derived from the app state, never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    List,
    Detail,
    Filter,
    /// The `?` overlay: scrolling.
    Help,
    /// The `?` overlay: typing its filter (after `/`).
    HelpFilter,
    Rename,
    /// Scope editor: the matrix.
    Scopes,
    /// Scope editor: the added/removed summary before saving.
    ScopesReview,
    /// Scope editor: the key changed elsewhere.
    ScopesConflict,
    /// A form asks whether to discard unsaved changes.
    Discard,
    /// Create form, typing the name.
    CreateName,
    /// Create form, on the type, preset or matrix.
    Create,
    CreateReview,
    Secret,
    Confirm,
    Contexts,
    Log,
    Diff,
    /// The diff compares a key with a preset (h/l pick the preset).
    DiffPreset,
    Presets,
    ConfirmQuit,
    /// A request is in flight in a form; only cancel/quit work.
    Busy,
    /// The `:` command line.
    Command,
    /// `R`: the replacement's name.
    RotateName,
    /// After a rotation's secret: revoke the old key now, or later?
    Deployed,
    /// `J`: the journal's entries.
    Journal,
    /// The journal view, typing its filter.
    JournalFilter,
    /// One journal entry and what can be done with it.
    JournalDetail,
    /// Confirming a journal entry's action (Cancel focused).
    JournalConfirm,
    /// `m`: the permission matrix.
    Matrix,
    /// A matrix cell's scopes.
    Cell,
    /// The `@` log, typing its filter.
    LogFilter,
    /// The context picker, typing its filter.
    ContextsFilter,
    /// `v`: the describe view of a key.
    Describe,
    /// The describe view, typing its search.
    DescribeFilter,
}

impl Layer {
    /// Every layer (for bindings that apply everywhere). `index` below keeps it complete.
    pub const ALL: &'static [Layer] = &[
        Layer::List,
        Layer::Detail,
        Layer::Filter,
        Layer::Help,
        Layer::Rename,
        Layer::Scopes,
        Layer::ScopesReview,
        Layer::ScopesConflict,
        Layer::Discard,
        Layer::CreateName,
        Layer::Create,
        Layer::CreateReview,
        Layer::Secret,
        Layer::Confirm,
        Layer::Contexts,
        Layer::Log,
        Layer::Diff,
        Layer::DiffPreset,
        Layer::Presets,
        Layer::ConfirmQuit,
        Layer::Busy,
        Layer::HelpFilter,
        Layer::Command,
        Layer::RotateName,
        Layer::Deployed,
        Layer::Journal,
        Layer::JournalFilter,
        Layer::JournalDetail,
        Layer::JournalConfirm,
        Layer::Matrix,
        Layer::Cell,
        Layer::LogFilter,
        Layer::ContextsFilter,
        Layer::Describe,
        Layer::DescribeFilter,
    ];

    /// Position in [`Layer::ALL`]; the exhaustive match makes a new layer a compile error here.
    pub fn index(self) -> usize {
        match self {
            Layer::List => 0,
            Layer::Detail => 1,
            Layer::Filter => 2,
            Layer::Help => 3,
            Layer::Rename => 4,
            Layer::Scopes => 5,
            Layer::ScopesReview => 6,
            Layer::ScopesConflict => 7,
            Layer::Discard => 8,
            Layer::CreateName => 9,
            Layer::Create => 10,
            Layer::CreateReview => 11,
            Layer::Secret => 12,
            Layer::Confirm => 13,
            Layer::Contexts => 14,
            Layer::Log => 15,
            Layer::Diff => 16,
            Layer::DiffPreset => 17,
            Layer::Presets => 18,
            Layer::ConfirmQuit => 19,
            Layer::Busy => 20,
            Layer::HelpFilter => 21,
            Layer::Command => 22,
            Layer::RotateName => 23,
            Layer::Deployed => 24,
            Layer::Journal => 25,
            Layer::JournalFilter => 26,
            Layer::JournalDetail => 27,
            Layer::JournalConfirm => 28,
            Layer::Matrix => 29,
            Layer::Cell => 30,
            Layer::LogFilter => 31,
            Layer::ContextsFilter => 32,
            Layer::Describe => 33,
            Layer::DescribeFilter => 34,
        }
    }

    /// Layers where unbound printable keys go into a text field.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Layer::Filter
                | Layer::HelpFilter
                | Layer::Command
                | Layer::Rename
                | Layer::CreateName
                | Layer::Confirm
                | Layer::ContextsFilter
                | Layer::RotateName
                | Layer::JournalFilter
                | Layer::LogFilter
                | Layer::DescribeFilter
        )
    }

    pub fn title(self) -> &'static str {
        match self {
            Layer::List => "Key list",
            Layer::Detail => "Scope detail",
            Layer::Filter => "Filter",
            Layer::Help | Layer::HelpFilter => "Help",
            Layer::Rename => "Rename",
            Layer::Scopes => "Edit scopes",
            Layer::ScopesReview => "Review changes",
            Layer::ScopesConflict => "Changed elsewhere",
            Layer::Discard => "Discard changes?",
            Layer::CreateName | Layer::Create => "New key",
            Layer::CreateReview => "Create key?",
            Layer::Secret => "New key secret",
            Layer::Confirm => "Revoke",
            Layer::Contexts | Layer::ContextsFilter => "Switch context",
            Layer::Log | Layer::LogFilter => "Message log",
            Layer::Diff | Layer::DiffPreset => "Scope diff",
            Layer::Presets => "Trim to a preset",
            Layer::ConfirmQuit => "Quit?",
            Layer::Busy => "Working",
            Layer::Command => "Command",
            Layer::RotateName => "Rotate key",
            Layer::Deployed => "New key deployed?",
            Layer::Journal | Layer::JournalFilter => "Journal",
            Layer::JournalDetail => "Journal entry",
            Layer::JournalConfirm => "Confirm",
            Layer::Matrix => "Permission matrix",
            Layer::Cell => "Scopes of a cell",
            Layer::Describe | Layer::DescribeFilter => "Describe key",
        }
    }
}

/// What a key press means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    ForceQuit,
    Up,
    Down,
    Top,
    Bottom,
    HalfUp,
    HalfDown,
    PageUp,
    PageDown,
    NextPane,
    PrevPane,
    Left,
    Right,
    Enter,
    Back,
    Filter,
    Help,
    Refresh,
    New,
    Rename,
    EditScopes,
    Revoke,
    Mark,
    MarkAll,
    CopyId,
    Log,
    Contexts,
    Sort,
    SortReverse,
    ShowAll,
    Toggle,
    Save,
    Yes,
    No,
    Overwrite,
    Reload,
    Copy,
    NextField,
    PrevField,
    Diff,
    Trim,
    /// `:` opens the command line.
    Command,
    /// Complete the command line's word.
    Complete,
    /// `R`: replace a key with a new one of the same scopes.
    Rotate,
    /// `J`: the journal view.
    Journal,
    /// Decide later (keep both keys of a rotation).
    Later,
    /// This endpoint only / every context.
    AllContexts,
    /// Finish a pending rotation: revoke the old key.
    Finish,
    /// Cancel a rotation: revoke the replacement, keep the old key.
    CancelRotation,
    /// Recreate a revoked key from its journal entry.
    Recreate,
    /// `m`: the permission matrix, and back.
    Matrix,
    /// Sort by the matrix's focused column.
    SortColumn,
    FirstColumn,
    LastColumn,
    /// Back to the context before the last switch.
    PreviousContext,
    /// `v`: describe the key (its JSON, scopes, journal history).
    Describe,
    /// The next / previous search match.
    NextMatch,
    PrevMatch,
    /// Wide mode: more columns in the key list (k9s' Ctrl-w).
    Wide,
}

impl Action {
    /// Whether this is a confirmation's refusing key (Esc, `n`): it counts even while the
    /// dialog is arming ([`super::confirm::ARM_MS`]), as refusing never acts.
    pub fn refuses(self) -> bool {
        matches!(self, Action::Back | Action::No)
    }
}

/// A key with modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(c: char) -> Chord {
    Chord {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}
const fn ctrl(c: char) -> Chord {
    Chord {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}
const fn code(c: KeyCode) -> Chord {
    Chord {
        code: c,
        mods: KeyModifiers::NONE,
    }
}
const fn shift(c: KeyCode) -> Chord {
    Chord {
        code: c,
        mods: KeyModifiers::SHIFT,
    }
}

/// How a binding shows in a dialog's footer. Footers are fitted to their width: descriptions are
/// shortened first, then extra keys of a binding left out, then whole bindings, least important
/// first. The `?` help lists every binding whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Foot {
    /// Not in footers (Ctrl-c, which works everywhere and is in `?`).
    Hide,
    /// Shown when there is room; the first to go.
    Extra,
    /// Shown unless the footer is too narrow.
    Main,
    /// Never left out (only shortened): the way out and the dialog's main action.
    Always,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub layers: &'static [Layer],
    pub keys: &'static [Chord],
    pub action: Action,
    pub desc: &'static str,
    /// Changes data: hidden and refused in read-only mode.
    pub writes: bool,
    /// Shown in the status-bar hints (the rest only in `?`).
    pub hint: bool,
    /// Importance in a dialog footer; `None`: [`Foot::Main`] for hints, else [`Foot::Extra`].
    pub foot: Option<Foot>,
}

impl Binding {
    const fn new(
        layers: &'static [Layer],
        keys: &'static [Chord],
        action: Action,
        desc: &'static str,
    ) -> Self {
        Binding {
            layers,
            keys,
            action,
            desc,
            writes: false,
            hint: false,
            foot: None,
        }
    }
    /// Shown in the status-bar hints.
    const fn hint(self) -> Self {
        Binding { hint: true, ..self }
    }
    /// Changes data (and is a hint).
    const fn write(self) -> Self {
        Binding {
            writes: true,
            hint: true,
            ..self
        }
    }
    /// Never left out of a footer.
    const fn always(self) -> Self {
        Binding {
            foot: Some(Foot::Always),
            ..self
        }
    }
    /// Shown in footers unless they are too narrow (as hints are).
    const fn main(self) -> Self {
        Binding {
            foot: Some(Foot::Main),
            ..self
        }
    }
    /// Not in footers.
    const fn nofoot(self) -> Self {
        Binding {
            foot: Some(Foot::Hide),
            ..self
        }
    }

    /// How this binding shows in a dialog footer.
    pub fn footer(&self) -> Foot {
        match self.foot {
            Some(f) => f,
            None if self.hint => Foot::Main,
            None => Foot::Extra,
        }
    }

    /// The description cut for narrow places: `filter (name, …)` → `filter`.
    pub fn short_desc(&self) -> &'static str {
        short_desc(self.desc)
    }
}

/// A description shortened for the hint line and narrow footers: up to ` (` or `:`.
pub fn short_desc(desc: &str) -> &str {
    let end = [desc.find(" ("), desc.find(':')]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(desc.len());
    &desc[..end]
}

use Layer as L;

mod dialogs;
mod table;
pub mod user;

pub use table::{HINT_ORDER, MATRIX_HINTS_FIRST};

/// Every binding of every layer: the panes' first, then the dialogs', in display order; the
/// user's keys (`[keys]` in config.toml) in place while `update` or `draw` runs
/// ([`active`]).
pub fn bindings() -> impl Iterator<Item = &'static Binding> {
    active().bindings()
}

/// A keymap: every binding, the user's keys in place.
#[derive(Debug)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Keymap {
    /// Every binding of every layer, in display order.
    pub fn bindings(&'static self) -> impl Iterator<Item = &'static Binding> {
        self.bindings.iter()
    }
}

/// The keys as shipped.
pub fn standard() -> &'static Keymap {
    static STANDARD: LazyLock<Keymap> = LazyLock::new(|| Keymap {
        bindings: table::BINDINGS
            .iter()
            .chain(dialogs::BINDINGS)
            .copied()
            .collect(),
    });
    &STANDARD
}

thread_local! {
    /// The keymap `update` and `draw` work with while they run (they are synchronous: the
    /// value never crosses an await).
    static ACTIVE: Cell<Option<&'static Keymap>> = const { Cell::new(None) };
}

/// The keymap in use on this thread: the one [`using`] set, else the standard one.
pub fn active() -> &'static Keymap {
    ACTIVE.with(Cell::get).unwrap_or_else(standard)
}

/// Until dropped, [`active`] is `k` on this thread.
#[must_use]
pub struct Using(Option<&'static Keymap>);

pub fn using(k: &'static Keymap) -> Using {
    Using(ACTIVE.with(|a| a.replace(Some(k))))
}

impl Drop for Using {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(self.0));
    }
}

fn matches(chord: &Chord, key: &KeyEvent) -> bool {
    if chord.code != key.code {
        return false;
    }
    // Terminals differ on whether an upper-case letter carries SHIFT: ignore it for characters.
    let mut mods = key.mods_without_shift_for_chars();
    let mut want = chord.mods;
    if matches!(chord.code, KeyCode::Char(_)) {
        want.remove(KeyModifiers::SHIFT);
        mods.remove(KeyModifiers::SHIFT);
    }
    mods == want
}

trait KeyMods {
    fn mods_without_shift_for_chars(&self) -> KeyModifiers;
}

impl KeyMods for KeyEvent {
    fn mods_without_shift_for_chars(&self) -> KeyModifiers {
        self.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT)
    }
}

/// The binding a key triggers in a layer.
pub fn resolve(layer: Layer, key: &KeyEvent) -> Option<&'static Binding> {
    bindings().find(|b| b.layers.contains(&layer) && b.keys.iter().any(|c| matches(c, key)))
}

/// Bindings of a layer, as shown in hints and help (write bindings dropped in read-only mode).
pub fn bindings_for(layer: Layer, read_only: bool) -> impl Iterator<Item = &'static Binding> {
    bindings().filter(move |b| b.layers.contains(&layer) && !(read_only && b.writes))
}

/// The hints of a layer (bindings flagged `hint`), most important first ([`HINT_ORDER`], then
/// table order, then `Back`); write bindings dropped in read-only mode.
pub fn hints(layer: Layer, read_only: bool) -> Vec<&'static Binding> {
    // a view's own keys come before the shared ones (k9s shows a view's commands first)
    let first: &[Action] = match layer {
        Layer::Matrix => MATRIX_HINTS_FIRST,
        _ => &[],
    };
    let rank = |b: &Binding| match first.iter().position(|a| *a == b.action) {
        Some(i) => i,
        None => match HINT_ORDER.iter().position(|a| *a == b.action) {
            Some(i) => first.len() + i,
            None if b.action == Action::Back => first.len() + HINT_ORDER.len() + 1,
            None => first.len() + HINT_ORDER.len(),
        },
    };
    let mut out: Vec<&'static Binding> =
        bindings_for(layer, read_only).filter(|b| b.hint).collect();
    // stable: bindings of equal rank keep table order
    out.sort_by_key(|b| rank(b));
    out
}

/// Actions of the panes that act on the selected (or marked) keys: nothing to do without one.
pub fn needs_target(a: Action) -> bool {
    matches!(
        a,
        Action::Revoke
            | Action::EditScopes
            | Action::Rename
            | Action::Rotate
            | Action::Trim
            | Action::Diff
            | Action::CopyId
            | Action::Describe
            | Action::Mark
            | Action::MarkAll
            | Action::Enter
            | Action::SortColumn
    )
}

/// Whether a binding does something right now, for the hint line: not a confirmation's
/// accepting keys and buttons while it takes no keys yet ([`super::confirm::ARM_MS`]), not an
/// action on keys while there is no key to act on (loading, a failed load, an empty list or
/// filter).
pub fn available(app: &super::App, b: &Binding) -> bool {
    if app.arming_until().is_some()
        && b.layers.contains(&app.layer())
        && !b.action.refuses()
        && !matches!(b.action, Action::Help | Action::ForceQuit)
    {
        return false;
    }
    let pane = matches!(app.layer(), Layer::List | Layer::Detail | Layer::Matrix);
    !(pane && needs_target(b.action) && !app.has_target())
}

/// Display text for a chord: `j`, `↓`, `Ctrl-r`, `Enter`.
pub fn chord_label(c: &Chord) -> String {
    let key = match c.code {
        KeyCode::Char(' ') => "Space".to_owned(),
        KeyCode::Char(ch) => ch.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Delete => "Del".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if c.mods.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{key}")
    } else if c.mods.contains(KeyModifiers::ALT) {
        format!("Alt-{key}")
    } else {
        key
    }
}

/// The chords of a binding as labels, Shift variants of the same key folded: `["j", "↓"]`.
pub fn key_labels(b: &Binding) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for c in b.keys {
        let l = chord_label(c);
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    labels
}

/// All chords of a binding: `j/↓`. Shift variants of the same key are folded.
pub fn keys_label(b: &Binding) -> String {
    key_labels(b).join("/")
}

/// One entry of a dialog footer: its keys and what they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FooterItem {
    pub action: Action,
    /// One label per key, most common first (`["Enter", "y"]`).
    pub keys: Vec<String>,
    pub desc: &'static str,
    pub foot: Foot,
}

impl FooterItem {
    /// The description cut for narrow footers.
    pub fn short_desc(&self) -> &'static str {
        short_desc(self.desc)
    }
}

/// The footer of a layer's dialog, in table order: every binding of the layer not hidden from
/// footers (write bindings dropped in read-only mode). Bindings with the same action and
/// description (the same thing under other keys) are one item.
pub fn footer(layer: Layer, read_only: bool) -> Vec<FooterItem> {
    let mut out: Vec<FooterItem> = Vec::new();
    for b in bindings_for(layer, read_only).filter(|b| b.footer() != Foot::Hide) {
        let keys = key_labels(b);
        if let Some(item) = out
            .iter_mut()
            .find(|i| i.action == b.action && i.desc == b.desc)
        {
            for k in keys {
                if !item.keys.contains(&k) {
                    item.keys.push(k);
                }
            }
            item.foot = item.foot.max(b.footer());
        } else {
            out.push(FooterItem {
                action: b.action,
                keys,
                desc: b.desc,
                foot: b.footer(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
