//! What flows in and out of the model: [`Msg`] (what happened), [`Command`] (what the worker or
//! the terminal must do), the worker's [`ApiOp`] and its answer [`ApiResult`].

use super::*;
use crate::api::{ApiError, ApiKey, ApiKeyId, KeyDetail, OnBehalfOf, Region, Subuser};
use crate::secret::Secret;

/// Events the loop feeds into [`update`].
#[derive(Debug)]
pub enum Msg {
    /// Time passes (milliseconds since start).
    Tick(u64),
    Key(ratatui::crossterm::event::KeyEvent),
    /// A bracketed paste.
    Paste(String),
    /// Keystrokes that arrived together ([`burst::coalesce`]); `enter`: an Enter ended them.
    Burst {
        text: String,
        enter: bool,
    },
    Resize(u16, u16),
    Mouse(ratatui::crossterm::event::MouseEvent),
    /// A worker answer.
    Api(ApiEvent),
    /// Requests wait for the rate-limit window (or no longer: `None`).
    RateWait(Option<RateWait>),
    /// An HTTP exchange happened (for the `@` log).
    Call(CallRecord),
    /// What became of a [`Command::Copy`]: how it was copied, or why it was not.
    Copied {
        what: Clip,
        result: Result<String, String>,
    },
}

/// A request for the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiOp {
    ListKeys,
    GetKey(ApiKeyId),
    MyScopes,
    ListSubusers,
    /// Every change goes through the operations layer ([`crate::ops`]).
    Mutate(Mutation),
    /// Ask a leaked key itself what it may do (`GET /v3/scopes` with it).
    Probe(Secret),
    /// Find a pasted key in the reachable contexts ([`crate::leak::locate`]): where the
    /// inventory last saw it, the account the key itself names, then one list per context;
    /// `here`: it is in the request's context (one `GET` there). Then, for a key that could
    /// create keys, the persistence check ([`crate::leak::appeared`]).
    Locate {
        secret: Secret,
        here: bool,
    },
    /// Ask a revoked (leaked) key until SendGrid refuses it; record that in its journal entry.
    VerifyDead {
        secret: Secret,
        entry: Option<Box<crate::journal::Entry>>,
    },
    /// Once a revoked leaked key that could create keys is refused (its propagation delay
    /// over), list its account again: the keys not in `before` appeared during the delay
    /// ([`crate::leak::appeared_during_delay`], as `revoke --leaked` does).
    ListAfterDelay {
        before: Vec<ApiKey>,
        leaked: ApiKeyId,
    },
    /// Read the local journal (no request).
    ReadJournal,
    /// `GET /v3/api_keys/{id}` with the answer's body (the describe view).
    Describe(ApiKeyId),
    /// Read a revoked key back (404: gone) and journal the answer (a rotation's step 5).
    ReadBack(crate::ops::rotate::ReadBackStep),
    /// What the inventory holds for the context (no request).
    Recall,
    /// Journal whether a rotation's secret was delivered (no request; never cancelled).
    RecordDelivery {
        entry: Box<crate::journal::Entry>,
        delivered: bool,
    },
    /// `a`: a sweep of every context begins (no request): the sweep under way, if any, is
    /// recorded as interrupted, and the inventory says whether the last one was interrupted
    /// within `--max-age` (to be resumed: its contexts) — unless `fresh` (Ctrl-r).
    SweepStart {
        fresh: bool,
    },
    /// The sweep's contexts (every one, the current first), recorded before any answer; what
    /// the inventory answers for them is taken from now on (no request).
    SweepBegin {
        contexts: Vec<(Option<OnBehalfOf>, Option<Region>)>,
    },
    /// A context's key list for the sweep: taken from the inventory when it answers, else
    /// asked, and recorded as the sweep's.
    SweepListKeys,
    /// A key's scopes for the sweep, likewise.
    SweepGetKey(ApiKeyId),
    /// The sweep answered everything (`complete`: without a failure), recorded (no request).
    SweepEnd {
        complete: bool,
    },
}

impl ApiOp {
    pub fn is_mutation(&self) -> bool {
        matches!(self, ApiOp::Mutate(_))
    }
}

/// What `update` asks the outside world to do.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// Run an API operation in the given context (and, for a subuser, on its region's host);
    /// exactly one [`ApiEvent`] comes back.
    Api {
        req: ReqId,
        ctx: Option<OnBehalfOf>,
        region: Option<Region>,
        op: ApiOp,
    },
    /// Copy to the clipboard (OSC 52); `what` says what it is (in the toast, never the text).
    Copy {
        text: Secret,
        what: Clip,
    },
    /// Stop every read in flight (context switch, quit).
    CancelReads,
    Quit,
}

/// What a [`Command::Copy`] copies, for what the toast and the log say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clip {
    /// A created key's secret.
    Secret,
    /// A key's id.
    Id(ApiKeyId),
    /// A key's JSON as SendGrid answered it (the describe view).
    Json(ApiKeyId),
}

/// The answer to one [`Command::Api`].
#[derive(Debug)]
pub struct ApiEvent {
    pub req: ReqId,
    pub result: ApiResult,
}

#[derive(Debug)]
pub enum ApiResult {
    Keys(Result<Vec<ApiKey>, ApiError>),
    Key(Result<KeyDetail, ApiError>),
    MyScopes(Result<Vec<String>, ApiError>),
    Subusers(Result<Vec<Subuser>, ApiError>),
    /// How a mutation went: effect, outcome, read-back note, journal trouble.
    Mutated(Done),
    Verified(Result<crate::leak::Verification, ApiError>),
    /// What the leaked key itself said (dead only when SendGrid refused it in its own words).
    Probed(crate::leak::Probe),
    /// Where a pasted key lives.
    Located(super::leak::Whereabouts),
    /// The journal's entries, oldest first (or why it could not be read).
    Journal(Result<Vec<crate::journal::Entry>, String>),
    /// A key and its answer's body as sent (sanitised, cut at [`describe::BODY_MAX`]).
    Described(Result<(KeyDetail, String), ApiError>),
    /// What reading a revoked key back answered.
    ReadBack(crate::ops::rotate::ReadBack),
    /// A journal line written (or why not).
    Recorded(Result<(), String>),
    /// What the inventory holds for the context (`None`: nothing, or no inventory is kept).
    Remembered(Result<Option<Remembered>, String>),
    /// The interrupted sweep to resume, if any.
    SweepStarted(Result<Option<Resumed>, String>),
    /// (key lists, key reads) the inventory answers for the sweep begun.
    SweepBegun(Result<(usize, usize), String>),
    /// The keys that appeared during a leaked key's propagation delay.
    AppearedDuringDelay(Result<Vec<ApiKey>, ApiError>),
}

/// An interrupted sweep of every context, to be resumed.
#[derive(Debug, Clone, PartialEq)]
pub struct Resumed {
    /// Its contexts, the account itself included.
    pub contexts: Vec<(Option<OnBehalfOf>, Option<Region>)>,
    /// How long ago (ms) it started.
    pub ago_ms: u64,
}

/// A context as the inventory last saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Remembered {
    /// Each key not gone, in the order first seen: its listing, its scopes when they were
    /// ever read (classified once per distinct scope set, shared by the keys that hold it),
    /// how long ago (ms) it was last seen and how long ago it was first seen.
    pub keys: Vec<(ApiKey, Option<std::sync::Arc<KeyInfo>>, u64, u64)>,
    /// How long ago (ms) the context's last complete list read was (`None`: never).
    pub list_age: Option<u64>,
}
