//! The dialogs' bindings (help, log, diff, forms, confirmations, pickers, the journal), in the
//! order hints and help show them; `table.rs` has the panes' and the matrix's.

use super::table::{DOWN, ENTER, ESC, UP};
use super::*;

macro_rules! b {
    ($layers:expr, $keys:expr, $action:ident, $desc:literal $(, $flag:ident)*) => {
        Binding::new($layers, $keys, Action::$action, $desc)$(.$flag())*
    };
}

/// The dialogs where `?` opens the help (not the panes, which bind it themselves, nor layers
/// that type text, where `?` is a character).
const HELP_IN: &[Layer] = &[
    L::Scopes,
    L::ScopesReview,
    L::ScopesConflict,
    L::Discard,
    L::Create,
    L::CreateReview,
    L::Secret,
    L::Contexts,
    L::Log,
    L::Diff,
    L::DiffPreset,
    L::Presets,
    L::ConfirmQuit,
    L::Busy,
    L::Deployed,
    L::Journal,
    L::JournalDetail,
    L::JournalConfirm,
    L::Cell,
    L::Describe,
];

/// Keys several dialogs share: first and last, a page, sideways, save, the confirmations' buttons.
const TOP: &[Chord] = &[k('g'), code(KeyCode::Home)];
const BOTTOM: &[Chord] = &[k('G'), shift(KeyCode::Char('G')), code(KeyCode::End)];
const PAGE_UP: &[Chord] = &[code(KeyCode::PageUp), ctrl('b')];
const PAGE_DOWN: &[Chord] = &[code(KeyCode::PageDown), ctrl('f'), k(' ')];
const LEFT: &[Chord] = &[k('h'), code(KeyCode::Left)];
const RIGHT: &[Chord] = &[k('l'), code(KeyCode::Right)];
const SAVE: &[Chord] = &[code(KeyCode::Enter), ctrl('s')];
const BUTTONS: &[Chord] = &[
    code(KeyCode::Tab),
    code(KeyCode::BackTab),
    code(KeyCode::Left),
    code(KeyCode::Right),
];

/// Every dialog binding, one a row: layers, keys, action, description, flags (`hint`: on the
/// hint line; `always`/`main`/`nofoot`: its place in the footer; `write`: gone in read-only).
/// Order matters only for display.
#[rustfmt::skip]
pub static BINDINGS: &[Binding] = &[
    // help: scrolling, then `/` to filter
    b!(&[L::Help],            &[code(KeyCode::Esc), code(KeyCode::F(1)), k('q'), k('?')], Back, "close help", hint, always),
    b!(&[L::Help],            DOWN,                      Down, "scroll down"),
    b!(&[L::Help],            UP,                        Up, "scroll up"),
    b!(&[L::Help],            TOP,                       Top, "top", nofoot),
    b!(&[L::Help],            BOTTOM,                    Bottom, "bottom", nofoot),
    b!(&[L::Help],            PAGE_UP,                   PageUp, "page up", nofoot),
    b!(&[L::Help],            PAGE_DOWN,                 PageDown, "page down", nofoot),
    b!(&[L::Help],            &[k('/')],                 Filter, "filter the help", hint, main),
    b!(&[L::HelpFilter],      ENTER,                     Enter, "keep filter", hint),
    b!(&[L::HelpFilter],      ESC,                       Back, "clear filter (Esc again closes)", hint, always),
    b!(&[L::HelpFilter],      &[code(KeyCode::Down)],    Down, "scroll down"),
    b!(&[L::HelpFilter],      &[code(KeyCode::Up)],      Up, "scroll up"),
    // log
    b!(&[L::Log],             &[code(KeyCode::Esc), k('q'), k('@')], Back, "close log", hint, always),
    b!(&[L::Log],             UP,                        Up, "scroll up", hint),
    b!(&[L::Log],             DOWN,                      Down, "scroll down"),
    b!(&[L::Log],             TOP,                       Top, "oldest"),
    b!(&[L::Log],             BOTTOM,                    Bottom, "newest (follow)"),
    b!(&[L::Log],             PAGE_UP,                   PageUp, "page up", nofoot),
    b!(&[L::Log],             &[code(KeyCode::PageDown), ctrl('f')], PageDown, "page down", nofoot),
    b!(&[L::Log],             &[k('/')],                 Filter, "filter", hint, main),
    b!(&[L::Log],             &[k('w')],                 Toggle, "wrap long lines / cut them", hint),
    b!(&[L::LogFilter],       ENTER,                     Enter, "keep filter", hint),
    b!(&[L::LogFilter],       ESC,                       Back, "clear filter", hint, always),
    b!(&[L::LogFilter],       &[code(KeyCode::Up)],      Up, "scroll up"),
    b!(&[L::LogFilter],       &[code(KeyCode::Down)],    Down, "scroll down"),
    // diff
    b!(&[L::Diff, L::DiffPreset], &[code(KeyCode::Esc), k('q'), k('=')], Back, "close", hint, always),
    b!(&[L::Diff, L::DiffPreset], UP,                        Up, "scroll up"),
    b!(&[L::Diff, L::DiffPreset], DOWN,                      Down, "scroll down"),
    b!(&[L::DiffPreset],      LEFT,                      Left, "previous preset", hint),
    b!(&[L::DiffPreset],      RIGHT,                     Right, "next preset", hint),
    // preset picker
    b!(&[L::Presets],         UP,                        Up, "previous preset"),
    b!(&[L::Presets],         DOWN,                      Down, "next preset"),
    b!(&[L::Presets],         ENTER,                     Enter, "preview the PUT", hint, always),
    b!(&[L::Presets],         ESC,                       Back, "cancel", hint, always),
    // rename
    b!(&[L::Rename],          ENTER,                     Save, "rename", hint, always),
    b!(&[L::Rename],          ESC,                       Back, "cancel", hint, always),
    // scope editor
    b!(&[L::Scopes, L::Create], UP,                        Up, "previous row", nofoot),
    b!(&[L::Scopes, L::Create], DOWN,                      Down, "next row", nofoot),
    b!(&[L::Scopes],          LEFT,                      Left, "less access", hint),
    b!(&[L::Scopes],          RIGHT,                     Right, "more access", hint),
    // on the create form's type and preset fields ←→ pick, in its matrix they set the level
    b!(&[L::Create],          LEFT,                      Left, "change: previous type or preset, less access", hint),
    b!(&[L::Create],          RIGHT,                     Right, "change: next type or preset, more access", hint),
    b!(&[L::Scopes, L::Create], &[k(' ')],                 Toggle, "toggle / expand", hint),
    b!(&[L::Scopes],          SAVE,                      Save, "review and save", hint, always),
    b!(&[L::Scopes, L::Create, L::CreateName], ESC,                       Back, "cancel", hint, always),
    b!(&[L::ScopesReview],    &[code(KeyCode::Enter), k('y')], Yes, "save", hint, always),
    b!(&[L::CreateReview],    &[code(KeyCode::Enter), k('y')], Yes, "create", hint, always),
    b!(&[L::ScopesReview, L::CreateReview], &[code(KeyCode::Esc), k('n')], No, "back to the form", hint, always),
    b!(&[L::ScopesConflict],  &[k('o')],                 Overwrite, "overwrite with my changes", hint),
    b!(&[L::ScopesConflict],  &[k('r')],                 Reload, "reload theirs (drop mine)", hint),
    b!(&[L::ScopesConflict],  ESC,                       Back, "back to the form", hint, always),
    b!(&[L::Discard],         &[k('y')],                 Yes, "discard", hint, always),
    b!(&[L::Discard],         &[code(KeyCode::Esc), k('n')], No, "keep editing", hint, always),
    b!(&[L::ConfirmQuit],     &[k('y')],                 Yes, "quit", hint, always),
    b!(&[L::ConfirmQuit],     &[code(KeyCode::Esc), k('n')], No, "stay", hint, always),
    b!(&[L::Discard, L::ConfirmQuit], BUTTONS,           NextField, "switch button", main),
    b!(&[L::Discard, L::ConfirmQuit], ENTER,             Enter, "press the focused button", hint),
    // create form
    b!(&[L::Create, L::CreateName], &[code(KeyCode::Tab)],     NextField, "next field", hint, always),
    b!(&[L::Create, L::CreateName], &[code(KeyCode::BackTab), shift(KeyCode::BackTab)], PrevField, "previous field", nofoot),
    b!(&[L::Create, L::CreateName], SAVE,                      Save, "review and create", hint, always),
    b!(&[L::CreateName],      &[code(KeyCode::Down)],    NextField, "next field"),
    // secret
    b!(&[L::Secret],          &[k('c'), k('y')],         Copy, "copy secret (OSC 52)", hint, always),
    b!(&[L::Secret],          &[code(KeyCode::Esc), code(KeyCode::Enter)], Back, "close (the secret cannot be shown again)", hint, always),
    // confirm revoke
    b!(&[L::Confirm],         &[k('y')],                 Yes, "revoke", hint, always),
    b!(&[L::Confirm],         BUTTONS,                   NextField, "switch button", main),
    b!(&[L::Confirm],         ENTER,                     Enter, "press the focused button", hint),
    b!(&[L::Confirm],         ESC,                       Back, "cancel", hint, always),
    // context picker: j/k move, `/` filters, `-` goes back
    b!(&[L::Contexts],        &[k('k'), code(KeyCode::Up), ctrl('p')], Up, "previous", nofoot),
    b!(&[L::Contexts],        &[k('j'), code(KeyCode::Down), ctrl('n')], Down, "next", nofoot),
    b!(&[L::Contexts],        TOP,                       Top, "first", nofoot),
    b!(&[L::Contexts],        BOTTOM,                    Bottom, "last", nofoot),
    b!(&[L::Contexts],        ENTER,                     Enter, "switch", hint, always),
    b!(&[L::Contexts],        &[k('/')],                 Filter, "filter", hint, main),
    b!(&[L::Contexts],        &[k('-')],                 PreviousContext, "previous context", hint),
    b!(&[L::Contexts],        ESC,                       Back, "cancel", hint, always),
    b!(&[L::ContextsFilter],  &[code(KeyCode::Up), ctrl('p')], Up, "previous", nofoot),
    b!(&[L::ContextsFilter],  &[code(KeyCode::Down), ctrl('n')], Down, "next", nofoot),
    b!(&[L::ContextsFilter],  ENTER,                     Enter, "keep filter", hint),
    b!(&[L::ContextsFilter],  ESC,                       Back, "clear filter", hint, always),
    // command line
    b!(&[L::Command],         ENTER,                     Enter, "run", hint, always),
    b!(&[L::Command],         &[code(KeyCode::Tab)],     Complete, "complete", hint, always),
    b!(&[L::Command],         ESC,                       Back, "cancel", hint, always),
    // rotate: the replacement's name, then (after its secret) deployed?
    b!(&[L::RotateName],      SAVE,                      Save, "create the replacement(s)", hint, always),
    b!(&[L::RotateName],      ESC,                       Back, "cancel", hint, always),
    b!(&[L::Deployed],        &[k('y')],                 Yes, "yes: revoke the old key now", hint, always),
    b!(&[L::Deployed],        &[k('c')],                 CancelRotation, "cancel: revoke the replacement, keep the old key", write),
    b!(&[L::Deployed],        &[k('l')],                 Later, "later: keep both (pending rotation)", hint, always),
    b!(&[L::Deployed],        ESC,                       Back, "later (nothing is revoked)", hint, always),
    b!(&[L::Deployed, L::JournalConfirm], BUTTONS,                   NextField, "switch button", main),
    b!(&[L::Deployed, L::JournalConfirm], ENTER,                     Enter, "press the focused button", hint),
    // journal view
    b!(&[L::Journal],         &[code(KeyCode::Esc), k('q'), k('J'), shift(KeyCode::Char('J'))], Back, "close journal", hint, always),
    b!(&[L::Journal, L::JournalDetail], UP,                        Up, "previous entry", nofoot),
    b!(&[L::Journal, L::JournalDetail], DOWN,                      Down, "next entry", nofoot),
    b!(&[L::Journal],         TOP,                       Top, "newest", nofoot),
    b!(&[L::Journal],         BOTTOM,                    Bottom, "oldest", nofoot),
    b!(&[L::Journal],         ENTER,                     Enter, "open the entry", hint, main),
    b!(&[L::Journal],         &[k('/')],                 Filter, "filter", hint, main),
    b!(&[L::Journal],         &[k('a')],                 AllContexts, "this context / all contexts", hint),
    b!(&[L::JournalFilter],   ENTER,                     Enter, "keep filter", hint),
    b!(&[L::JournalFilter],   ESC,                       Back, "clear filter", hint, always),
    b!(&[L::JournalDetail],   &[k('f')],                 Finish, "finish rotation: revoke the old key", write),
    b!(&[L::JournalDetail],   &[k('r')],                 Recreate, "recreate the revoked key", write),
    b!(&[L::JournalDetail],   ESC,                       Back, "back to the journal", hint, always),
    b!(&[L::JournalConfirm],  &[k('y')],                 Yes, "confirm", hint, always),
    b!(&[L::JournalConfirm],  ESC,                       Back, "cancel", hint, always),
    // describe view
    b!(&[L::Describe],        &[code(KeyCode::Esc), k('q'), k('v')], Back, "close", hint, always),
    b!(&[L::Describe],        UP,                        Up, "scroll up", nofoot),
    b!(&[L::Describe],        DOWN,                      Down, "scroll down", nofoot),
    b!(&[L::Describe],        TOP,                       Top, "top", nofoot),
    b!(&[L::Describe],        BOTTOM,                    Bottom, "bottom", nofoot),
    b!(&[L::Describe],        PAGE_UP,                   PageUp, "page up", nofoot),
    b!(&[L::Describe],        PAGE_DOWN,                 PageDown, "page down", nofoot),
    b!(&[L::Describe],        &[ctrl('u')],              HalfUp, "half page up", nofoot),
    b!(&[L::Describe],        &[ctrl('d')],              HalfDown, "half page down", nofoot),
    b!(&[L::Describe],        &[k('/')],                 Filter, "search", hint, main),
    b!(&[L::Describe],        &[k('n')],                 NextMatch, "next match", hint),
    b!(&[L::Describe],        &[k('N'), shift(KeyCode::Char('N'))], PrevMatch, "previous match"),
    b!(&[L::Describe],        &[k('y')],                 CopyId, "copy the JSON (OSC 52)", hint, main),
    b!(&[L::DescribeFilter],  ENTER,                     Enter, "keep the search", hint),
    b!(&[L::DescribeFilter],  ESC,                       Back, "clear the search", hint, always),
    // busy
    b!(&[L::Busy],            ESC,                       Back, "close (the request continues)", hint, always),
    // everywhere
    b!(HELP_IN,               &[k('?'), code(KeyCode::F(1))], Help, "help", hint, nofoot),
    b!(Layer::ALL,            &[ctrl('c')],              ForceQuit, "quit", nofoot),
];
