//! The table itself: every binding of the panes, the matrix and the filter, in the order hints
//! and help show them (the dialogs' are in `dialogs.rs`), and the hints' order.

use super::*;

const BROWSE: &[Layer] = &[L::List, L::Detail];
/// The list, the detail pane and the permission matrix: keys that act on the selected key.
const KEYS: &[Layer] = &[L::List, L::Detail, L::Matrix];
pub(super) const UP: &[Chord] = &[k('k'), code(KeyCode::Up)];
pub(super) const DOWN: &[Chord] = &[k('j'), code(KeyCode::Down)];
pub(super) const ESC: &[Chord] = &[code(KeyCode::Esc)];
pub(super) const ENTER: &[Chord] = &[code(KeyCode::Enter)];

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

/// The panes' and the matrix's bindings (`dialogs.rs` has the rest). Order matters only for
/// display.
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
        &[k('v')],
        Describe,
        "describe: the key's JSON as SendGrid answers, scopes, journal history",
        hint
    ),
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
    b!(
        BROWSE,
        &[ctrl('w')],
        Wide,
        "wide: Scopes and Risk columns (on from 160 columns)"
    ),
    b!(KEYS, &[k('c')], Contexts, "switch account/subuser", hint),
    b!(
        KEYS,
        &[k('-')],
        PreviousContext,
        "previous context (as :ctx -)"
    ),
    b!(
        KEYS,
        &[k('R'), shift(KeyCode::Char('R'))],
        Rotate,
        "rotate: a replacement with the same scopes",
        write
    ),
    b!(
        KEYS,
        &[k('f')],
        Finish,
        "finish the key's pending rotation: revoke it",
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
];
