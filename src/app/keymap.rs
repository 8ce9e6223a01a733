//! The one keymap table. It drives key dispatch, the status-bar hints and the `?` help overlay:
//! a key that is not in this table does not exist. Bindings that change data are flagged
//! `writes` and vanish from hints and help in read-only mode (pressing them says why).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Which set of bindings is active (derived from the app state, never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    List,
    Detail,
    Filter,
    Help,
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
        }
    }

    /// Layers where unbound printable keys go into a text field.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Layer::Filter
                | Layer::Help
                | Layer::Rename
                | Layer::CreateName
                | Layer::Confirm
                | Layer::Contexts
        )
    }

    pub fn title(self) -> &'static str {
        match self {
            Layer::List => "Key list",
            Layer::Detail => "Scope detail",
            Layer::Filter => "Filter",
            Layer::Help => "Help",
            Layer::Rename => "Rename",
            Layer::Scopes => "Edit scopes",
            Layer::ScopesReview => "Review changes",
            Layer::ScopesConflict => "Changed elsewhere",
            Layer::Discard => "Discard changes?",
            Layer::CreateName | Layer::Create => "New key",
            Layer::CreateReview => "Create key?",
            Layer::Secret => "New key secret",
            Layer::Confirm => "Revoke",
            Layer::Contexts => "Switch context",
            Layer::Log => "Message log",
            Layer::Diff | Layer::DiffPreset => "Scope diff",
            Layer::Presets => "Trim to a preset",
            Layer::ConfirmQuit => "Quit?",
            Layer::Busy => "Working",
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

const BROWSE: &[Layer] = &[L::List, L::Detail];
const UP: &[Chord] = &[k('k'), code(KeyCode::Up)];
const DOWN: &[Chord] = &[k('j'), code(KeyCode::Down)];
const ESC: &[Chord] = &[code(KeyCode::Esc)];
const ENTER: &[Chord] = &[code(KeyCode::Enter)];

macro_rules! b {
    ($layers:expr, $keys:expr, $action:ident, $desc:literal $(, $flag:ident)*) => {
        Binding::new($layers, $keys, Action::$action, $desc)$(.$flag())*
    };
}

/// Every binding. Order matters only for display.
pub static BINDINGS: &[Binding] = &[
    // browsing
    b!(BROWSE, UP, Up, "move up"),
    b!(BROWSE, DOWN, Down, "move down"),
    b!(BROWSE, &[k('g'), code(KeyCode::Home)], Top, "first row"),
    b!(
        BROWSE,
        &[k('G'), shift(KeyCode::Char('G')), code(KeyCode::End)],
        Bottom,
        "last row"
    ),
    b!(BROWSE, &[ctrl('u')], HalfUp, "half page up"),
    b!(BROWSE, &[ctrl('d')], HalfDown, "half page down"),
    b!(
        BROWSE,
        &[code(KeyCode::PageUp), ctrl('b')],
        PageUp,
        "page up"
    ),
    b!(
        BROWSE,
        &[code(KeyCode::PageDown), ctrl('f')],
        PageDown,
        "page down"
    ),
    b!(BROWSE, &[code(KeyCode::Tab)], NextPane, "switch pane", hint),
    b!(
        BROWSE,
        &[code(KeyCode::BackTab), shift(KeyCode::BackTab)],
        PrevPane,
        "switch pane back"
    ),
    b!(
        &[L::List],
        &[k('l'), code(KeyCode::Right)],
        Right,
        "go to the scope detail"
    ),
    b!(
        &[L::Detail],
        &[k('h'), code(KeyCode::Left)],
        Left,
        "back to the key list"
    ),
    b!(&[L::List], ENTER, Enter, "open the key's scopes"),
    b!(
        &[L::Detail],
        &[code(KeyCode::Enter), k(' '), k('l'), code(KeyCode::Right)],
        Toggle,
        "expand/collapse category",
        hint
    ),
    b!(
        &[L::Detail],
        &[k('a')],
        ShowAll,
        "show/hide No Access categories",
        hint
    ),
    b!(
        BROWSE,
        &[k('/')],
        Filter,
        "filter (name, id, scope:glob, type:, risk:)",
        hint
    ),
    b!(&[L::List], &[k(' ')], Mark, "mark/unmark key", hint),
    b!(&[L::List], &[ctrl('a')], MarkAll, "mark all shown keys"),
    b!(BROWSE, ESC, Back, "clear marks / filter / error"),
    b!(
        &[L::List],
        &[k('s')],
        Sort,
        "sort: API order, name, type, risk",
        hint
    ),
    b!(&[L::List], &[k('S')], SortReverse, "reverse sort"),
    b!(BROWSE, &[k('n')], New, "new key", write),
    b!(BROWSE, &[k('r')], Rename, "rename key", write),
    b!(BROWSE, &[k('e')], EditScopes, "edit scopes", write),
    b!(
        BROWSE,
        &[k('d'), code(KeyCode::Delete)],
        Revoke,
        "revoke key(s)",
        write
    ),
    b!(BROWSE, &[k('y')], CopyId, "copy key id"),
    b!(
        BROWSE,
        &[k('=')],
        Diff,
        "diff two marked keys (or key vs preset)",
        hint
    ),
    b!(
        BROWSE,
        &[k('p')],
        Trim,
        "trim key to a preset (least privilege)",
        write
    ),
    b!(BROWSE, &[ctrl('r')], Refresh, "refresh", hint),
    b!(BROWSE, &[k('c')], Contexts, "switch account/subuser", hint),
    b!(BROWSE, &[k('@')], Log, "message and API log"),
    b!(BROWSE, &[k('?'), code(KeyCode::F(1))], Help, "help", hint),
    b!(BROWSE, &[k('q')], Quit, "quit", hint),
    // filter input
    b!(&[L::Filter], ENTER, Enter, "keep filter", hint),
    b!(&[L::Filter], ESC, Back, "clear filter", hint),
    b!(&[L::Filter], &[code(KeyCode::Down)], Down, "move down"),
    b!(&[L::Filter], &[code(KeyCode::Up)], Up, "move up"),
    // help
    b!(
        &[L::Help],
        &[code(KeyCode::Esc), code(KeyCode::F(1))],
        Back,
        "close help",
        hint,
        always
    ),
    b!(&[L::Help], &[code(KeyCode::Down)], Down, "scroll down"),
    b!(&[L::Help], &[code(KeyCode::Up)], Up, "scroll up"),
    // log
    b!(
        &[L::Log],
        &[code(KeyCode::Esc), k('q'), k('@')],
        Back,
        "close log",
        hint,
        always
    ),
    b!(&[L::Log], UP, Up, "scroll up", hint),
    b!(&[L::Log], DOWN, Down, "scroll down"),
    b!(&[L::Log], &[k('g'), code(KeyCode::Home)], Top, "oldest"),
    b!(
        &[L::Log],
        &[k('G'), shift(KeyCode::Char('G')), code(KeyCode::End)],
        Bottom,
        "newest (follow)"
    ),
    // diff
    b!(
        &[L::Diff, L::DiffPreset],
        &[code(KeyCode::Esc), k('q'), k('=')],
        Back,
        "close",
        hint,
        always
    ),
    b!(&[L::Diff, L::DiffPreset], UP, Up, "scroll up"),
    b!(&[L::Diff, L::DiffPreset], DOWN, Down, "scroll down"),
    b!(
        &[L::DiffPreset],
        &[k('h'), code(KeyCode::Left)],
        Left,
        "previous preset",
        hint
    ),
    b!(
        &[L::DiffPreset],
        &[k('l'), code(KeyCode::Right)],
        Right,
        "next preset",
        hint
    ),
    // preset picker
    b!(&[L::Presets], UP, Up, "previous preset"),
    b!(&[L::Presets], DOWN, Down, "next preset"),
    b!(&[L::Presets], ENTER, Enter, "preview the PUT", hint, always),
    b!(&[L::Presets], ESC, Back, "cancel", hint, always),
    // rename
    b!(&[L::Rename], ENTER, Save, "rename", hint, always),
    b!(&[L::Rename], ESC, Back, "cancel", hint, always),
    // scope editor
    b!(&[L::Scopes, L::Create], UP, Up, "previous row", nofoot),
    b!(&[L::Scopes, L::Create], DOWN, Down, "next row", nofoot),
    b!(
        &[L::Scopes],
        &[k('h'), code(KeyCode::Left)],
        Left,
        "less access",
        hint
    ),
    b!(
        &[L::Scopes],
        &[k('l'), code(KeyCode::Right)],
        Right,
        "more access",
        hint
    ),
    // on the create form's type and preset fields ←→ pick, in its matrix they set the level
    b!(
        &[L::Create],
        &[k('h'), code(KeyCode::Left)],
        Left,
        "change: previous type or preset, less access",
        hint
    ),
    b!(
        &[L::Create],
        &[k('l'), code(KeyCode::Right)],
        Right,
        "change: next type or preset, more access",
        hint
    ),
    b!(
        &[L::Scopes, L::Create],
        &[k(' ')],
        Toggle,
        "toggle / expand",
        hint
    ),
    b!(
        &[L::Scopes],
        &[code(KeyCode::Enter), ctrl('s')],
        Save,
        "review and save",
        hint,
        always
    ),
    b!(
        &[L::Scopes, L::Create, L::CreateName],
        ESC,
        Back,
        "cancel",
        hint,
        always
    ),
    b!(
        &[L::ScopesReview],
        &[code(KeyCode::Enter), k('y')],
        Yes,
        "save",
        hint,
        always
    ),
    b!(
        &[L::CreateReview],
        &[code(KeyCode::Enter), k('y')],
        Yes,
        "create",
        hint,
        always
    ),
    b!(
        &[L::ScopesReview, L::CreateReview],
        &[code(KeyCode::Esc), k('n')],
        No,
        "back to the form",
        hint,
        always
    ),
    b!(
        &[L::ScopesConflict],
        &[k('o')],
        Overwrite,
        "overwrite with my changes",
        hint
    ),
    b!(
        &[L::ScopesConflict],
        &[k('r')],
        Reload,
        "reload theirs (drop mine)",
        hint
    ),
    b!(
        &[L::ScopesConflict],
        ESC,
        Back,
        "back to the form",
        hint,
        always
    ),
    b!(&[L::Discard], &[k('y')], Yes, "yes", hint, always),
    b!(
        &[L::Discard],
        &[k('n'), code(KeyCode::Esc), code(KeyCode::Enter)],
        No,
        "no",
        hint,
        always
    ),
    b!(&[L::ConfirmQuit], &[k('y')], Yes, "quit", hint, always),
    b!(
        &[L::ConfirmQuit],
        &[k('n'), code(KeyCode::Esc), code(KeyCode::Enter)],
        No,
        "stay",
        hint,
        always
    ),
    // create form
    b!(
        &[L::Create, L::CreateName],
        &[code(KeyCode::Tab)],
        NextField,
        "next field",
        hint,
        always
    ),
    b!(
        &[L::Create, L::CreateName],
        &[code(KeyCode::BackTab), shift(KeyCode::BackTab)],
        PrevField,
        "previous field",
        nofoot
    ),
    b!(
        &[L::Create, L::CreateName],
        &[code(KeyCode::Enter), ctrl('s')],
        Save,
        "review and create",
        hint,
        always
    ),
    b!(
        &[L::CreateName],
        &[code(KeyCode::Down)],
        NextField,
        "next field"
    ),
    // secret
    b!(
        &[L::Secret],
        &[k('c'), k('y')],
        Copy,
        "copy secret (OSC 52)",
        hint,
        always
    ),
    b!(
        &[L::Secret],
        &[code(KeyCode::Esc), code(KeyCode::Enter)],
        Back,
        "close (the secret cannot be shown again)",
        hint,
        always
    ),
    // confirm revoke
    b!(&[L::Confirm], &[k('y')], Yes, "revoke", hint, always),
    b!(
        &[L::Confirm],
        &[
            code(KeyCode::Tab),
            code(KeyCode::BackTab),
            code(KeyCode::Left),
            code(KeyCode::Right)
        ],
        NextField,
        "switch button",
        main
    ),
    b!(
        &[L::Confirm],
        ENTER,
        Enter,
        "press the focused button",
        hint
    ),
    b!(&[L::Confirm], ESC, Back, "cancel", hint, always),
    // context picker
    b!(
        &[L::Contexts],
        &[code(KeyCode::Up), ctrl('p')],
        Up,
        "previous"
    ),
    b!(
        &[L::Contexts],
        &[code(KeyCode::Down), ctrl('n')],
        Down,
        "next"
    ),
    b!(&[L::Contexts], ENTER, Enter, "switch", hint, always),
    b!(&[L::Contexts], ESC, Back, "cancel", hint, always),
    // busy
    b!(
        &[L::Busy],
        ESC,
        Back,
        "close (the request continues)",
        hint,
        always
    ),
    // everywhere
    b!(Layer::ALL, &[ctrl('c')], ForceQuit, "quit", nofoot),
];

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
    BINDINGS
        .iter()
        .find(|b| b.layers.contains(&layer) && b.keys.iter().any(|c| matches(c, key)))
}

/// Bindings of a layer, as shown in hints and help (write bindings dropped in read-only mode).
pub fn bindings_for(layer: Layer, read_only: bool) -> impl Iterator<Item = &'static Binding> {
    BINDINGS
        .iter()
        .filter(move |b| b.layers.contains(&layer) && !(read_only && b.writes))
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
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn layer_list_is_complete_and_ctrl_c_quits_everywhere() {
        for (i, l) in Layer::ALL.iter().enumerate() {
            assert_eq!(l.index(), i, "{l:?} out of place in Layer::ALL");
            let b = resolve(*l, &key(KeyCode::Char('c'), KeyModifiers::CONTROL)).unwrap();
            assert_eq!(b.action, Action::ForceQuit, "{l:?}");
        }
    }

    #[test]
    fn every_binding_has_a_description_and_keys() {
        for b in BINDINGS {
            assert!(
                !b.desc.is_empty() && !b.keys.is_empty() && !b.layers.is_empty(),
                "{b:?}"
            );
        }
    }

    #[test]
    fn no_chord_is_bound_twice_in_a_layer() {
        let layers = Layer::ALL.iter().copied();
        for layer in layers {
            let mut seen = HashSet::new();
            for b in BINDINGS.iter().filter(|b| b.layers.contains(&layer)) {
                // one binding may list variants of a key (`G` with and without SHIFT)
                let labels: HashSet<String> = b.keys.iter().map(chord_label).collect();
                for label in labels {
                    assert!(
                        seen.insert(label.clone()),
                        "{label} bound twice in {layer:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn destructive_keys_differ_from_their_confirmation() {
        // `d` opens the confirm dialog, `y` confirms: never the same key.
        let open = resolve(L::List, &key(KeyCode::Char('d'), KeyModifiers::NONE)).unwrap();
        assert_eq!(open.action, Action::Revoke);
        assert!(resolve(L::Confirm, &key(KeyCode::Char('d'), KeyModifiers::NONE)).is_none());
        assert_eq!(
            resolve(L::Confirm, &key(KeyCode::Char('y'), KeyModifiers::NONE))
                .unwrap()
                .action,
            Action::Yes
        );
    }

    #[test]
    fn write_bindings_vanish_in_read_only_mode() {
        let ro: Vec<Action> = bindings_for(L::List, true).map(|b| b.action).collect();
        for a in [
            Action::New,
            Action::Rename,
            Action::EditScopes,
            Action::Revoke,
        ] {
            assert!(!ro.contains(&a), "{a:?} visible in read-only");
        }
        assert!(bindings_for(L::List, false).any(|b| b.action == Action::Revoke));
    }

    #[test]
    fn resolves_with_modifiers_and_shifted_letters() {
        assert_eq!(
            resolve(L::List, &key(KeyCode::Char('r'), KeyModifiers::CONTROL))
                .unwrap()
                .action,
            Action::Refresh
        );
        assert_eq!(
            resolve(L::List, &key(KeyCode::Char('G'), KeyModifiers::SHIFT))
                .unwrap()
                .action,
            Action::Bottom
        );
        assert_eq!(
            resolve(L::List, &key(KeyCode::Char('G'), KeyModifiers::NONE))
                .unwrap()
                .action,
            Action::Bottom
        );
        assert_eq!(
            resolve(L::Filter, &key(KeyCode::Char('c'), KeyModifiers::CONTROL))
                .unwrap()
                .action,
            Action::ForceQuit
        );
        // text layers leave letters to the input
        assert!(resolve(L::Filter, &key(KeyCode::Char('q'), KeyModifiers::NONE)).is_none());
        assert!(resolve(L::Rename, &key(KeyCode::Char('j'), KeyModifiers::NONE)).is_none());
    }

    #[test]
    fn footers_list_only_what_the_layer_binds() {
        for layer in Layer::ALL.iter().copied() {
            for ro in [false, true] {
                let bound: Vec<String> = bindings_for(layer, ro).flat_map(key_labels).collect();
                for item in footer(layer, ro) {
                    assert_ne!(item.foot, Foot::Hide, "{layer:?}: {item:?}");
                    assert!(!item.keys.is_empty(), "{layer:?}: {item:?}");
                    for k in &item.keys {
                        assert!(bound.contains(k), "{layer:?}: {k} not bound ({item:?})");
                    }
                }
            }
        }
        // Ctrl-c works everywhere and is in `?`, but no footer spends room on it
        assert!(
            footer(L::Secret, false)
                .iter()
                .all(|i| i.action != Action::ForceQuit)
        );
        // the same thing under other keys is one entry: Tab and ↓ both go to the next field
        let name = footer(L::CreateName, false);
        let next = name.iter().find(|i| i.action == Action::NextField).unwrap();
        assert_eq!(next.keys, ["Tab", "↓"]);
    }

    #[test]
    fn every_dialog_has_a_way_out_in_its_footer() {
        for layer in Layer::ALL.iter().copied() {
            if matches!(layer, L::List | L::Detail | L::Filter) {
                continue;
            }
            assert!(
                footer(layer, false).iter().any(
                    |i| i.foot == Foot::Always && matches!(i.action, Action::Back | Action::No)
                ),
                "{layer:?}"
            );
        }
    }

    #[test]
    fn labels() {
        let b = resolve(L::List, &key(KeyCode::Char('j'), KeyModifiers::NONE)).unwrap();
        assert_eq!(keys_label(b), "j/↓");
        assert_eq!(chord_label(&ctrl('r')), "Ctrl-r");
        let b = resolve(L::List, &key(KeyCode::End, KeyModifiers::NONE)).unwrap();
        assert_eq!(keys_label(b), "G/End");
    }
}
