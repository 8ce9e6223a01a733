//! The dashboard's model: [`App`] (all state), [`Msg`] (what happened), [`Command`] (what the
//! worker or the terminal must do), and the pure [`update`] that turns one into the other.
//!
//! Nothing here does IO, awaits or reads a clock: time arrives as `Msg::Tick(now_ms)`.

mod account;
pub mod browse;
pub mod burst;
mod clock;
pub mod command;
pub mod confirm;
pub mod contexts;
pub mod create;
pub mod describe;
mod detail;
pub mod diff;
mod effects;
pub mod errors;
mod field;
pub mod filter;
pub mod journal;
pub mod keymap;
pub mod layout;
pub mod leak;
pub mod list;
pub mod live;
pub mod log;
pub mod matrix;
mod messages;
pub mod overlays;
mod remote;
pub mod rename;
pub mod revoke;
pub mod rotate;
pub mod scope_editor;
pub mod secret;
mod update;

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::api::{ApiError, ApiKeyId, CallRecord, OnBehalfOf, Region, Subuser};
pub use crate::ops::{Done, Effect, Mutation};
use crate::scopes::Classification;
use crate::secret::Secret;
pub use account::{Account, KeyEntry, KeyInfo, Prefetch, Whose};
pub use remote::{KeyState, Remote};

pub use clock::Clock;
pub use command::CommandLine;
pub use confirm::{Answer, Confirm, Tone};
pub use contexts::{ContextPicker, ContextRow, context_rows, picker_rows};
pub use create::{CreateField, CreateForm, CreateStage};
pub use describe::DescribeView;
pub use detail::{DetailRow, detail_rows, selected_class};
pub use diff::{DiffModal, DiffRight, PresetPicker, diff_line_count, diff_sides};
pub use filter::{Query, SortKey};
pub use journal::{JournalConfirm, JournalFix, JournalView};
pub use keymap::{Action, Layer};
pub use live::Live;
pub use log::LogModal;
pub use matrix::{CellView, MatrixView, Sweep, SweepRow};
pub use messages::{ApiEvent, ApiOp, ApiResult, Clip, Command, Msg, Remembered, Resumed};
pub use overlays::{FILTER_SYNTAX, HelpModal};
pub use rename::{RenameForm, validate_name};
pub use revoke::{ConfirmDelete, DeleteBatch, DeleteTarget};
pub use rotate::{DeployedAsk, RotateForm};
pub use scope_editor::{MatrixRow, ScopeForm, ScopeMatrix, ScopeStage};
pub use secret::SecretModal;
pub use update::{init, update};

/// Identifies one request to the worker; its answer carries the same id.
pub type ReqId = u64;

/// Smallest terminal the dashboard draws in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// Detail GETs in flight at once for the background prefetch: as many as the client's own
/// bound (100, SendGrid's per-account key limit), so one account's risk picture is one wave
/// after the list; the client's gate still plans them against the rate-limit budget.
pub const PREFETCH_CONCURRENCY: usize = crate::api::client::DEFAULT_CONCURRENCY;
/// Wait this long after the selection settles before fetching its detail (scrolling fast
/// through the list does not fire a request per row).
pub const DETAIL_DEBOUNCE_MS: u64 = 120;
/// Info/success toasts last this long; warnings twice as long; errors until dismissed.
pub const TOAST_MS: u64 = 4_000;
/// Entries kept in the `@` log.
pub const LOG_CAP: usize = 2_000;
/// SendGrid's per-account key limit.
pub const KEY_LIMIT: usize = 100;

/// Where the dashboard is pointed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// API base URL.
    pub base_url: String,
    /// Profile or account label for the header ("acme-corp", "default").
    pub account: String,
    /// Acting for a subuser/customer account, or the key's own account.
    pub on_behalf_of: Option<OnBehalfOf>,
    pub read_only: bool,
    /// Running on the in-process demo simulator.
    pub demo: bool,
    /// Id of the key sgkeys itself uses (warn before revoking it).
    pub caller_key_id: Option<String>,
    /// Region of the subuser acted for (its requests go to that region's host).
    pub region: Option<Region>,
}

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    List,
    Detail,
}

/// Visible list: filtered and sorted indices into `Account::entries`.
#[derive(Debug, Clone, Default)]
pub struct ListView {
    pub rows: Vec<usize>,
    /// Position of the selection in `rows`.
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
    pub sort: SortKey,
    pub reverse: bool,
    pub marks: BTreeSet<ApiKeyId>,
    /// Wide mode as asked with Ctrl-w; None: on from [`layout::WIDE_FROM`] columns.
    pub wide: Option<bool>,
    /// The rows were recomputed by this message: the views built on them (the all-contexts
    /// matrix's rows) are rebuilt once at the end of `update`.
    pub changed: bool,
}

/// The filter line (`/`).
#[derive(Debug, Clone, Default)]
pub struct FilterState {
    pub input: tui_input::Input,
    /// Typing into the filter.
    pub editing: bool,
    pub query: Query,
}

impl FilterState {
    pub fn active(&self) -> bool {
        !self.query.is_empty()
    }
}

/// The detail pane's cursor over categories and expanded categories.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetailView {
    /// Row under the cursor (categories with access first; see ui::detail rows).
    pub cursor: usize,
    pub expanded: BTreeSet<&'static str>,
    /// Show categories with No Access too.
    pub show_all: bool,
    /// The selected key's classification, computed once when the selection or its scopes
    /// change (not per frame): the id and the scopes it was computed from, and the result.
    pub class: Option<(ApiKeyId, KeyInfo, std::sync::Arc<Classification>)>,
}

impl DetailView {
    /// The cached classification of `entry`, if it is the one cached.
    pub fn class_of(
        &self,
        id: &ApiKeyId,
        info: &KeyInfo,
    ) -> Option<std::sync::Arc<Classification>> {
        self.class
            .as_ref()
            .filter(|(i, k, _)| i == id && k == info)
            .map(|(_, _, c)| std::sync::Arc::clone(c))
    }
}

/// Severity of a toast and of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Success,
    Warn,
    Error,
}

/// A transient message in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub level: Level,
    pub text: String,
    pub at_ms: u64,
    /// What it is about (`"list"`, `"id …"`): a later success about the same thing replaces an
    /// error, which otherwise stays until dismissed.
    pub about: Option<String>,
}

impl Toast {
    /// When it disappears by itself (errors never do).
    pub fn expires_at(&self) -> Option<u64> {
        match self.level {
            Level::Info | Level::Success => Some(self.at_ms + TOAST_MS),
            Level::Warn => Some(self.at_ms + 2 * TOAST_MS),
            Level::Error => None,
        }
    }
}

/// One line of the `@` log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When it was said (the last time, for a repeated line).
    pub at_ms: u64,
    pub level: Level,
    pub text: String,
    /// How many times it was said in a row.
    pub count: u32,
}

/// What a pending request was for (to route and to recognise stale answers).
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    /// The key list; `by_user` when asked for with Ctrl-r (said when done).
    List {
        by_user: bool,
    },
    /// Detail for the selection (dropped when the selection moved on and nobody else wants it).
    Detail(ApiKeyId),
    /// A key's scopes read in the background (the one prefetch pump), for whose account.
    Prefetch {
        whose: Whose,
        id: ApiKeyId,
    },
    MyScopes,
    Subusers,
    /// Re-read before saving the scope form.
    PreSave(ApiKeyId),
    Create {
        name: String,
    },
    Rename {
        id: ApiKeyId,
        name: String,
    },
    Update {
        id: ApiKeyId,
    },
    Delete {
        id: ApiKeyId,
        batch: u64,
    },
    /// Looking for a pasted key in the other contexts.
    Locate {
        id: ApiKeyId,
    },
    /// Asking a revoked leaked key until SendGrid refuses it.
    Verify {
        id: ApiKeyId,
    },
    /// Listing a revoked leaked key's account again once its propagation delay is over.
    AfterDelay {
        id: ApiKeyId,
    },
    /// Asking a leaked key found nowhere whether it still works.
    Probe {
        id: ApiKeyId,
    },
    /// The journal, read by the worker (for the `J` view and the pending-rotation badges).
    Journal,
    /// What the inventory holds for the context (shown until the live list arrives).
    Recall,
    /// A rotation's replacement for `old`.
    Rotate {
        old: ApiKeyId,
        name: String,
    },
    /// Reading a rotation's old key back after its revoke (404 proves it gone), journaled.
    ReadBack {
        id: ApiKeyId,
    },
    /// Journaling that a rotation's secret was delivered (or not).
    Delivery {
        old: ApiKeyId,
    },
    /// Finishing a rotation: its replacement read back before the old key is revoked.
    Replacement {
        old: ApiKeyId,
    },
    /// The all-contexts matrix: whether the last sweep is to be resumed (the inventory).
    SweepStart {
        sweep: u64,
    },
    /// The all-contexts matrix: its contexts recorded, what the inventory answers counted.
    SweepBegin {
        sweep: u64,
    },
    /// The all-contexts matrix: its end recorded.
    SweepEnd,
    /// The all-contexts matrix: one context's key list.
    SweepList {
        sweep: u64,
        ctx: usize,
    },
    /// `v`: the key read afresh, with its answer's body.
    Describe(ApiKeyId),
}

impl Pending {
    pub fn is_mutation(&self) -> bool {
        matches!(
            self,
            Pending::Create { .. }
                | Pending::Rotate { .. }
                | Pending::Rename { .. }
                | Pending::Update { .. }
                | Pending::Delete { .. }
        )
    }
}

/// The dashboard's whole state.
#[derive(Debug)]
pub struct App {
    pub ctx: Context,
    /// Contexts seen this session: the key's own account first.
    pub keys: Account,
    pub view: ListView,
    pub filter: FilterState,
    pub focus: Pane,
    pub detail: DetailView,
    /// The calling key's scopes (`GET /v3/scopes`): what may be granted.
    /// The calling key's own scopes (what it may grant).
    pub my_scopes: Remote<BTreeSet<String>>,
    pub subusers: Remote<Vec<Subuser>>,
    pub modal: Option<Modal>,
    pub toast: Option<Toast>,
    /// A word about a key that did nothing, said on the hint line while an error holds the
    /// status line (the error is not replaced; the key is not dropped without a word).
    pub aside: Option<Toast>,
    pub log: VecDeque<LogLine>,
    pub pending: HashMap<ReqId, Pending>,
    pub next_req: ReqId,
    pub batches: HashMap<u64, DeleteBatch>,
    /// Selection waiting for its detail fetch: (id, when it was selected).
    pub detail_wanted: Option<(ApiKeyId, u64)>,
    /// A pasted (leaked) key being followed: found, revoked, proven dead.
    pub leak: Option<leak::LeakHunt>,
    pub now_ms: u64,
    /// Terminal size.
    pub size: (u16, u16),
    /// The dashboard's colours (`--theme`, decided before the first frame).
    pub theme: crate::config::ThemeName,
    /// The keys in use: the standard table, or with the user's `[keys]` in place.
    pub keymap: &'static keymap::Keymap,
    pub mouse: bool,
    pub should_quit: bool,
    /// The periodic refresh and the badges of keys that appeared.
    pub live: Live,
    /// Wall-clock time for the log and toasts.
    pub clock: Clock,
    /// A `:ctx NAME` waiting for the subusers to be read.
    pub want_ctx: Option<String>,
    /// The journal as last read (oldest first), for the `J` view.
    pub journal: Remote<Vec<crate::journal::Entry>>,
    /// Rotations whose old key is not revoked yet, in every context (the badges show this
    /// context's), and old keys whose revoke is to be verified.
    pub rotations: rotate::Rotations,
    /// `m`: the permission matrix in place of the list and detail panes.
    pub matrix: Option<MatrixView>,
    /// Contexts pointed at this session or named in the journal (the picker lists them: a
    /// customer account has no list to be found in).
    pub contexts_seen: Vec<OnBehalfOf>,
    /// Where the dashboard pointed before the last switch (`-`, `:ctx -`).
    pub previous_ctx: Option<Option<OnBehalfOf>>,
    /// `sgkeys --offline`: the inventory alone, read-only; nothing is sent.
    pub offline: bool,
    /// An inventory is kept: a context opens with what it holds ([`ApiOp::Recall`]).
    pub remembers: bool,
    /// Requests wait for the rate-limit window: the status line says how long.
    pub rate_wait: Option<RateWait>,
}

/// Requests are held back until the rate-limit window resets (the budget is spent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWait {
    /// Seconds until the window resets (rounded up).
    pub secs: u64,
    /// Requests a window allows (`None`: the answers did not say).
    pub limit: Option<u64>,
    /// The window's length in seconds (`None`: not shown yet: two resets tell it).
    pub period_secs: Option<u64>,
}

impl RateWait {
    /// "waiting 41 s for the rate-limit window, 600/min".
    pub fn text(&self) -> String {
        let per = match self.period_secs {
            Some(60) => "/min".to_owned(),
            Some(0 | 1) => "/s".to_owned(),
            Some(p) if p % 60 == 0 => format!("/{} min", p / 60),
            Some(p) => format!("/{p} s"),
            None => " a window".to_owned(),
        };
        match self.limit {
            Some(l) => format!(
                "waiting {} s for the rate-limit window, {l}{per}",
                self.secs
            ),
            None => format!("waiting {} s for the rate-limit window", self.secs),
        }
    }
}

/// The modal on top, if any. At most one; it takes the keys first.
#[derive(Debug)]
pub enum Modal {
    Help(HelpModal),
    Rename(RenameForm),
    EditScopes(Box<ScopeForm>),
    Create(Box<CreateForm>),
    /// A created key's secret, shown once.
    Secret(SecretModal),
    ConfirmDelete(ConfirmDelete),
    Contexts(ContextPicker),
    Log(LogModal),
    Diff(DiffModal),
    Presets(PresetPicker),
    /// Quit while a change is still being sent? (Stay focused, armed.)
    ConfirmQuit(Confirm),
    /// The `:` command line.
    Command(CommandLine),
    /// `R`: the replacement's name before it is created.
    Rotate(Box<RotateForm>),
    /// After a rotation's secret: is the new key deployed? (revoke the old one now or later)
    Deployed(DeployedAsk),
    /// `J`: the journal.
    Journal(Box<JournalView>),
    /// Enter on a permission-matrix cell: the scopes behind it.
    Cell(Box<CellView>),
    /// `v`: a key described (its JSON, scopes, journal history).
    Describe(Box<DescribeView>),
}

impl App {
    pub fn new(ctx: Context) -> Self {
        App {
            ctx,
            keys: Account::default(),
            view: ListView::default(),
            filter: FilterState::default(),
            focus: Pane::List,
            detail: DetailView::default(),
            my_scopes: Remote::NotAsked,
            subusers: Remote::NotAsked,
            modal: None,
            toast: None,
            aside: None,
            log: VecDeque::new(),
            pending: HashMap::new(),
            next_req: 1,
            batches: HashMap::new(),
            detail_wanted: None,
            leak: None,
            now_ms: 0,
            size: (120, 40),
            theme: crate::config::ThemeName::Dark,
            keymap: keymap::standard(),
            mouse: false,
            should_quit: false,
            live: Live::default(),
            clock: Clock::default(),
            want_ctx: None,
            journal: Remote::NotAsked,
            rotations: rotate::Rotations::default(),
            matrix: None,
            contexts_seen: Vec::new(),
            previous_ctx: None,
            offline: false,
            remembers: false,
            rate_wait: None,
        }
    }

    /// The selected entry.
    pub fn selected(&self) -> Option<&KeyEntry> {
        let i = *self.view.rows.get(self.view.selected)?;
        self.keys.entries.get(i)
    }

    /// Entries the next bulk action applies to: the marked ones, else the selection.
    pub fn targets(&self) -> Vec<&KeyEntry> {
        if self.view.marks.is_empty() {
            self.selected().into_iter().collect()
        } else {
            self.keys
                .entries
                .iter()
                .filter(|e| self.view.marks.contains(&e.id))
                .collect()
        }
    }

    /// Whether the key list shows its wide columns (scope count, risk): as Ctrl-w last said,
    /// else from [`layout::WIDE_FROM`] columns on.
    pub fn wide(&self) -> bool {
        self.view.wide.unwrap_or(self.size.0 >= layout::WIDE_FROM)
    }

    /// Whether there is a key to act on: a selected row (the list's, or the all-contexts
    /// matrix's) or a marked key.
    pub fn has_target(&self) -> bool {
        match self.sweep() {
            Some(s) => !s.rows.is_empty(),
            None => !self.targets().is_empty(),
        }
    }

    /// What a pane says when a key action finds no key: why there is none.
    pub fn no_target_reason(&self) -> String {
        if self.keys.status.is_loading() && !self.keys.ever_loaded() {
            "the key list is still loading".into()
        } else if !self.keys.ever_loaded() {
            let retry = keymap::user::key_name(Layer::List, keymap::Action::Refresh);
            format!("the key list could not be loaded ({retry} retries)")
        } else if self.keys.entries.is_empty() {
            "there are no keys here".into()
        } else {
            "no key matches the filter".into()
        }
    }

    /// The keymap layer in effect: modal > filter input > pane.
    pub fn layer(&self) -> Layer {
        match &self.modal {
            Some(Modal::Help(h)) if h.editing => Layer::HelpFilter,
            Some(Modal::Help(_)) => Layer::Help,
            Some(Modal::Rename(_)) => Layer::Rename,
            Some(Modal::EditScopes(f)) => f.layer(),
            Some(Modal::Create(f)) => f.layer(),
            Some(Modal::Secret(_)) => Layer::Secret,
            Some(Modal::ConfirmDelete(_)) => Layer::Confirm,
            Some(Modal::Contexts(p)) => p.layer(),
            Some(Modal::Log(l)) => l.layer(),
            Some(Modal::Diff(d)) => match d.right {
                DiffRight::Preset(_) => Layer::DiffPreset,
                DiffRight::Key(_) => Layer::Diff,
            },
            Some(Modal::Presets(_)) => Layer::Presets,
            Some(Modal::ConfirmQuit(_)) => Layer::ConfirmQuit,
            Some(Modal::Command(_)) => Layer::Command,
            Some(Modal::Rotate(f)) if f.submitting.is_some() => Layer::Busy,
            Some(Modal::Rotate(_)) => Layer::RotateName,
            Some(Modal::Deployed(_)) => Layer::Deployed,
            Some(Modal::Journal(v)) => v.layer(),
            Some(Modal::Cell(_)) => Layer::Cell,
            Some(Modal::Describe(v)) => v.layer(),
            None if self.filter.editing => Layer::Filter,
            None if self.matrix.is_some() => Layer::Matrix,
            None => match self.focus {
                Pane::List => Layer::List,
                Pane::Detail => Layer::Detail,
            },
        }
    }

    /// Something is in flight (the status bar shows a spinner).
    pub fn busy(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Mutations in flight.
    pub fn pending_mutations(&self) -> usize {
        self.pending.values().filter(|p| p.is_mutation()).count()
    }

    /// Whether the loop must keep ticking (spinner, toast expiry, debounce).
    pub fn wants_tick(&self) -> bool {
        self.busy()
            || self.detail_wanted.is_some()
            || self
                .toast
                .as_ref()
                .is_some_and(|t| t.expires_at().is_some())
            || self.aside.is_some()
    }

    /// The yes/no question on top, if one is (revoke, deployed?, the journal's, quit, a
    /// form's discard).
    pub fn open_confirm(&self) -> Option<&Confirm> {
        match &self.modal {
            Some(Modal::ConfirmDelete(c)) => Some(&c.confirm),
            Some(Modal::Deployed(d)) => Some(&d.confirm),
            Some(Modal::Journal(v)) => v.confirm.as_ref().map(|c| &c.confirm),
            Some(Modal::ConfirmQuit(c)) => Some(c),
            Some(Modal::Create(f)) => match &f.stage {
                CreateStage::ConfirmDiscard(c) => Some(c),
                _ => None,
            },
            Some(Modal::EditScopes(f)) => match &f.stage {
                ScopeStage::ConfirmDiscard(c) => Some(c),
                _ => None,
            },
            _ => None,
        }
    }

    /// When the open confirmation starts taking keys, while it does not yet.
    pub fn arming_until(&self) -> Option<u64> {
        self.open_confirm()?.arming_until(self.now_ms)
    }

    /// When the loop must wake up for something time-driven while it is not ticking (the next
    /// periodic refresh, a badge's expiry); `None`: sleep until an event.
    pub fn next_wakeup(&self) -> Option<u64> {
        live::next_wakeup(self)
    }

    /// Whether the terminal is large enough to draw the dashboard.
    pub fn fits(&self) -> bool {
        self.size.0 >= MIN_WIDTH && self.size.1 >= MIN_HEIGHT
    }

    /// Context label for the header: `acme-corp`, `acme-corp › subuser acme-eu`.
    pub fn context_label(&self) -> String {
        match &self.ctx.on_behalf_of {
            Some(OnBehalfOf::Subuser(u)) => format!("{} › subuser {u}", self.ctx.account),
            Some(OnBehalfOf::AccountId(id)) => format!("{} › account-id {id}", self.ctx.account),
            None => self.ctx.account.clone(),
        }
    }

    /// The pending rotation (its journal entry) whose old key is `id`, in this context.
    pub fn pending_rotation(&self, id: &ApiKeyId) -> Option<&crate::journal::Entry> {
        self.rotations
            .pending
            .iter()
            .find(|e| e.replaces.as_deref() == Some(id.as_str()) && self.in_context(e))
    }

    /// Whether a journal entry was made where the dashboard points now (endpoint and account).
    pub fn in_context(&self, e: &crate::journal::Entry) -> bool {
        e.in_its_context()
            && e.base_url.trim_end_matches('/') == self.ctx.base_url.trim_end_matches('/')
            && e.on_behalf_of == self.ctx.on_behalf_of.as_ref().map(OnBehalfOf::header_value)
    }
}

/// One side of a scope diff: a label and the scopes.
pub type DiffSide = (String, Vec<String>);

#[cfg(test)]
mod tests;
