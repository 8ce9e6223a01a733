//! The table itself: every binding of every layer, in the order hints and help show them.

use super::*;

const BROWSE: &[Layer] = &[L::List, L::Detail];
/// The list, the detail pane and the permission matrix: keys that act on the selected key.
const KEYS: &[Layer] = &[L::List, L::Detail, L::Matrix];
const UP: &[Chord] = &[k('k'), code(KeyCode::Up)];
const DOWN: &[Chord] = &[k('j'), code(KeyCode::Down)];
const ESC: &[Chord] = &[code(KeyCode::Esc)];
const ENTER: &[Chord] = &[code(KeyCode::Enter)];

macro_rules! b {
    ($layers:expr, $keys:expr, $action:ident, $desc:literal $(, $flag:ident)*) => {
        Binding::new($layers, $keys, Action::$action, $desc)$(.$flag())*
    };
}

/// The order the status-bar hint line offers a layer's hints in, most important first: when the
/// terminal narrows, the last ones go first. Hints whose action is not listed follow in table
/// order, then `Back` (the way out of a dialog, which its footer shows anyway). `Help` is drawn last (`? more` when hints were left out) and is never left out.
pub static HINT_ORDER: &[Action] = &[
    Action::Revoke,
    Action::EditScopes,
    Action::New,
    Action::Filter,
    Action::Matrix,
    Action::SortColumn,
    Action::AllContexts,
    Action::Help,
    Action::Rename,
    Action::Rotate,
    Action::Command,
    Action::Mark,
    Action::Left,
    Action::Right,
    Action::Toggle,
    Action::ShowAll,
    Action::Refresh,
    Action::Contexts,
    Action::Journal,
    Action::Trim,
    Action::Diff,
    Action::Sort,
    Action::NextPane,
    Action::Quit,
];

/// The permission matrix's own hints, before [`HINT_ORDER`]'s: sort by the column, revoke (the
/// incident's key), the cell's scopes, every context, the way back.
pub static MATRIX_HINTS_FIRST: &[Action] = &[
    Action::SortColumn,
    Action::Revoke,
    Action::Enter,
    Action::AllContexts,
    Action::Matrix,
];

/// Every binding. Order matters only for display.
pub static BINDINGS: &[Binding] = &[
    // browsing
    b!(KEYS, UP, Up, "move up"),
    b!(KEYS, DOWN, Down, "move down"),
    b!(KEYS, &[k('g'), code(KeyCode::Home)], Top, "first row"),
    b!(
        KEYS,
        &[k('G'), shift(KeyCode::Char('G')), code(KeyCode::End)],
        Bottom,
        "last row"
    ),
    b!(KEYS, &[ctrl('u')], HalfUp, "half page up"),
    b!(KEYS, &[ctrl('d')], HalfDown, "half page down"),
    b!(KEYS, &[code(KeyCode::PageUp), ctrl('b')], PageUp, "page up"),
    b!(
        KEYS,
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
        KEYS,
        &[k('/')],
        Filter,
        "filter (name, id, scope:glob, type:, risk:)",
        hint
    ),
    b!(
        &[L::List, L::Matrix],
        &[k(' ')],
        Mark,
        "mark/unmark and move down",
        hint
    ),
    b!(
        &[L::List, L::Matrix],
        &[ctrl('a')],
        MarkAll,
        "mark all shown keys"
    ),
    b!(KEYS, ESC, Back, "clear marks / filter / error"),
    b!(
        &[L::List],
        &[k('s')],
        Sort,
        "sort: API order, name, type, risk",
        hint
    ),
    b!(
        &[L::List, L::Matrix],
        &[k('S')],
        SortReverse,
        "reverse sort"
    ),
    b!(KEYS, &[k('n')], New, "new key", write),
    b!(KEYS, &[k('r')], Rename, "rename key", write),
    b!(KEYS, &[k('e')], EditScopes, "edit scopes", write),
    b!(
        KEYS,
        &[k('d'), code(KeyCode::Delete)],
        Revoke,
        "revoke key(s)",
        write
    ),
    b!(KEYS, &[k('y')], CopyId, "copy key id"),
    b!(
        KEYS,
        &[k('=')],
        Diff,
        "diff two marked keys (or key vs preset)",
        hint
    ),
    b!(
        KEYS,
        &[k('p')],
        Trim,
        "trim key to a preset (least privilege)",
        write
    ),
    b!(KEYS, &[ctrl('r')], Refresh, "refresh", hint),
    b!(KEYS, &[k('c')], Contexts, "switch account/subuser", hint),
    b!(
        KEYS,
        &[k('R'), shift(KeyCode::Char('R'))],
        Rotate,
        "rotate: a replacement with the same scopes",
        write
    ),
    b!(KEYS, &[k('@')], Log, "message and API log"),
    b!(
        KEYS,
        &[k('J'), shift(KeyCode::Char('J'))],
        Journal,
        "journal of changes (pending rotations)",
        hint
    ),
    b!(
        KEYS,
        &[k(':')],
        Command,
        "command line (:ctx NAME, :keys, :refresh, :q)",
        hint
    ),
    b!(KEYS, &[k('?'), code(KeyCode::F(1))], Help, "help", hint),
    b!(KEYS, &[k('q')], Quit, "quit", hint),
    b!(
        BROWSE,
        &[k('m')],
        Matrix,
        "permission matrix: every key × every category",
        hint
    ),
    // the permission matrix
    b!(
        &[L::Matrix],
        &[k('h'), code(KeyCode::Left)],
        Left,
        "previous category column"
    ),
    b!(
        &[L::Matrix],
        &[k('l'), code(KeyCode::Right)],
        Right,
        "next category column"
    ),
    b!(
        &[L::Matrix],
        &[k('0')],
        FirstColumn,
        "first category column"
    ),
    b!(
        &[L::Matrix],
        &[k('$'), shift(KeyCode::Char('$'))],
        LastColumn,
        "last category column"
    ),
    b!(&[L::Matrix], ENTER, Enter, "scopes of the cell", hint),
    b!(
        &[L::Matrix],
        &[k('s')],
        SortColumn,
        "sort by column (most access first; again: reverse)",
        hint
    ),
    b!(
        &[L::Matrix],
        &[k('a')],
        AllContexts,
        "all contexts: every subuser in one matrix",
        hint
    ),
    b!(
        &[L::Matrix],
        &[k('m')],
        Matrix,
        "back to the key list",
        hint
    ),
    // a matrix cell's scopes
    b!(
        &[L::Cell],
        &[code(KeyCode::Esc), code(KeyCode::Enter), k('q')],
        Back,
        "close",
        hint,
        always
    ),
    // filter input
    b!(&[L::Filter], ENTER, Enter, "keep filter", hint),
    b!(&[L::Filter], ESC, Back, "clear filter", hint),
    b!(&[L::Filter], &[code(KeyCode::Down)], Down, "move down"),
    b!(&[L::Filter], &[code(KeyCode::Up)], Up, "move up"),
    // help: scrolling, then `/` to filter
    b!(
        &[L::Help],
        &[code(KeyCode::Esc), code(KeyCode::F(1)), k('q'), k('?')],
        Back,
        "close help",
        hint,
        always
    ),
    b!(&[L::Help], DOWN, Down, "scroll down"),
    b!(&[L::Help], UP, Up, "scroll up"),
    b!(
        &[L::Help],
        &[k('g'), code(KeyCode::Home)],
        Top,
        "top",
        nofoot
    ),
    b!(
        &[L::Help],
        &[k('G'), shift(KeyCode::Char('G')), code(KeyCode::End)],
        Bottom,
        "bottom",
        nofoot
    ),
    b!(
        &[L::Help],
        &[code(KeyCode::PageUp), ctrl('b')],
        PageUp,
        "page up",
        nofoot
    ),
    b!(
        &[L::Help],
        &[code(KeyCode::PageDown), ctrl('f'), k(' ')],
        PageDown,
        "page down",
        nofoot
    ),
    b!(&[L::Help], &[k('/')], Filter, "filter the help", hint, main),
    b!(&[L::HelpFilter], ENTER, Enter, "keep filter", hint),
    b!(
        &[L::HelpFilter],
        ESC,
        Back,
        "clear filter (Esc again closes)",
        hint,
        always
    ),
    b!(
        &[L::HelpFilter],
        &[code(KeyCode::Down)],
        Down,
        "scroll down"
    ),
    b!(&[L::HelpFilter], &[code(KeyCode::Up)], Up, "scroll up"),
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
    // command line
    b!(&[L::Command], ENTER, Enter, "run", hint, always),
    b!(
        &[L::Command],
        &[code(KeyCode::Tab)],
        Complete,
        "complete",
        hint,
        always
    ),
    b!(&[L::Command], ESC, Back, "cancel", hint, always),
    // rotate: the replacement's name, then (after its secret) deployed?
    b!(
        &[L::RotateName],
        &[code(KeyCode::Enter), ctrl('s')],
        Save,
        "create the replacement(s)",
        hint,
        always
    ),
    b!(&[L::RotateName], ESC, Back, "cancel", hint, always),
    b!(
        &[L::Deployed],
        &[k('y')],
        Yes,
        "yes: revoke the old key now",
        hint,
        always
    ),
    b!(
        &[L::Deployed],
        &[k('l')],
        Later,
        "later: keep both (pending rotation)",
        hint,
        always
    ),
    b!(
        &[L::Deployed],
        ESC,
        Back,
        "later (nothing is revoked)",
        hint,
        always
    ),
    b!(
        &[L::Deployed, L::JournalConfirm],
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
        &[L::Deployed, L::JournalConfirm],
        ENTER,
        Enter,
        "press the focused button",
        hint
    ),
    // journal view
    b!(
        &[L::Journal],
        &[
            code(KeyCode::Esc),
            k('q'),
            k('J'),
            shift(KeyCode::Char('J'))
        ],
        Back,
        "close journal",
        hint,
        always
    ),
    b!(
        &[L::Journal, L::JournalDetail],
        UP,
        Up,
        "previous entry",
        nofoot
    ),
    b!(
        &[L::Journal, L::JournalDetail],
        DOWN,
        Down,
        "next entry",
        nofoot
    ),
    b!(
        &[L::Journal],
        &[k('g'), code(KeyCode::Home)],
        Top,
        "newest",
        nofoot
    ),
    b!(
        &[L::Journal],
        &[k('G'), shift(KeyCode::Char('G')), code(KeyCode::End)],
        Bottom,
        "oldest",
        nofoot
    ),
    b!(&[L::Journal], ENTER, Enter, "open the entry", hint, main),
    b!(&[L::Journal], &[k('/')], Filter, "filter", hint, main),
    b!(
        &[L::Journal],
        &[k('a')],
        AllContexts,
        "this endpoint / all contexts",
        hint
    ),
    b!(&[L::JournalFilter], ENTER, Enter, "keep filter", hint),
    b!(&[L::JournalFilter], ESC, Back, "clear filter", hint, always),
    b!(
        &[L::JournalDetail],
        &[k('f')],
        Finish,
        "finish rotation: revoke the old key",
        write
    ),
    b!(
        &[L::JournalDetail],
        &[k('r')],
        Recreate,
        "recreate the revoked key",
        write
    ),
    b!(
        &[L::JournalDetail],
        ESC,
        Back,
        "back to the journal",
        hint,
        always
    ),
    b!(
        &[L::JournalConfirm],
        &[k('y')],
        Yes,
        "confirm",
        hint,
        always
    ),
    b!(&[L::JournalConfirm], ESC, Back, "cancel", hint, always),
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
