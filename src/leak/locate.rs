//! Where a leaked key lives, without a sweep when it can be helped. The key's middle segment is
//! its id; the routes run in order, each settling what it can and leaving the rest to the next:
//!
//! 1. **the inventory**: where it last saw that id (among the calling account's contexts): one
//!    `GET /v3/api_keys/{id}` there;
//! 2. **the key itself**: `GET /v3/user/username` with the leaked key says whose it is (needs
//!    `user.username.read`, which Full Access holds); when that is the caller's own account
//!    (`GET /v3/user/username` with the caller's key, asked once) or one of its subusers
//!    (`GET /v3/subusers?username=…`, which also gives the region; the inventory answers it when
//!    it knows the context), one `GET` there. Any other answer (a refusal, a gateway's page, a
//!    name that is not the caller's) only sends the key on to the sweep;
//! 3. **the sweep**: every other reachable context (the caller's own account, then every enabled
//!    subuser on its region's host) lists its keys once (`GET /v3/api_keys`: one request per
//!    context for every key still looked for), in the waves the rate-limit budget allows, and
//!    stops the moment every key is found. Each list answered is recorded in the inventory.
//!
//! A context that could not answer, or subusers that could not be listed, leave a key
//! [`Location::Unsure`], never "nowhere".

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use crate::api::{ApiError, ApiKey, ApiKeyId, Client, KeyDetail, OnBehalfOf, Region, Subuser};
use crate::inventory::Recorder;
use crate::resume::Sweep;
use crate::secret::Secret;

use super::why_unclear;

/// Where a key lives, as far as the reachable accounts told.
#[derive(Debug, Clone)]
pub enum Location {
    /// In the context `Client` acts in, with its detail.
    Found(Client, KeyDetail),
    /// Every reachable account answered, and none holds it.
    Nowhere,
    /// Not in the accounts that answered; these could not be searched (each with why).
    Unsure(Vec<String>),
}

/// Which route found a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Where the inventory last saw it.
    Inventory,
    /// Where the key itself said it belongs (`GET /v3/user/username`).
    Username,
    /// The sweep of the remaining contexts.
    Sweep,
    /// The context on screen (the dashboard's list showed it).
    Here,
}

impl Route {
    /// `inventory`, `username`, `sweep` (for `--json`).
    pub fn code(self) -> &'static str {
        match self {
            Route::Inventory => "inventory",
            Route::Username => "username",
            Route::Sweep => "sweep",
            Route::Here => "here",
        }
    }

    /// How it was found, in words.
    pub fn words(self) -> &'static str {
        match self {
            Route::Inventory => "where the inventory last saw it",
            Route::Username => "in the account the key itself named",
            Route::Sweep => "by listing the keys of every reachable account",
            Route::Here => "in the account on screen",
        }
    }
}

/// One key's answer.
#[derive(Debug, Clone)]
pub struct Located {
    pub location: Location,
    /// The route that found it (None: not found).
    pub via: Option<Route>,
    /// The account the key itself named (`GET /v3/user/username` with it); server text,
    /// sanitise before display.
    pub owner: Option<String>,
    /// The region of the context it was found in, when known (its calls go to that host).
    pub region: Option<Region>,
}

/// One key to find: its id, and the key itself when it may still work (to ask whose it is).
#[derive(Debug, Clone)]
pub struct Wanted {
    pub id: ApiKeyId,
    pub key: Option<Secret>,
}

/// The sweep kind a search for `wanted` is recorded as in the inventory: one per set of key
/// ids, so that only a search for the same keys resumes another. That is sound: a key looked
/// for existed when the interrupted search read its lists, and a key never moves between
/// accounts, so a list without it then is a list without it now; a list read while looking
/// for other keys says nothing of a key created after it.
pub fn search_kind(wanted: &[Wanted]) -> String {
    let mut ids: Vec<&str> = wanted.iter().map(|w| w.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    // FNV-1a: stable across builds and platforms, unlike std's hasher
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in ids.join(",").bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("leak {h:016x}")
}

/// How the sweep is shown: `progress(contexts answered, contexts to ask)` as answers arrive,
/// and `waiting(seconds, contexts left)` before it waits for the rate-limit window.
#[derive(Clone, Copy)]
pub struct Watch<'a> {
    pub progress: crate::fetch::Progress<'a>,
    pub waiting: &'a (dyn Fn(u64, usize) + Sync),
}

impl Watch<'_> {
    /// Nothing shown.
    pub fn quiet() -> Watch<'static> {
        Watch {
            progress: &crate::fetch::quiet,
            waiting: &|_, _| {},
        }
    }
}

/// A context, by its `on-behalf-of` header value (`None`: the calling account itself).
type Ctx = Option<String>;

fn ctx_of(c: &Client) -> Ctx {
    c.on_behalf_of().map(OnBehalfOf::header_value)
}

/// "own account" or the subuser's name.
pub fn context_name(c: &Client) -> String {
    c.on_behalf_of()
        .map_or_else(|| "own account".to_owned(), OnBehalfOf::header_value)
}

/// One key being looked for.
struct Open {
    id: ApiKeyId,
    key: Option<Secret>,
    /// Contexts that answered "not here".
    absent: HashSet<Ctx>,
    /// Contexts that could not answer, with why.
    failed: Vec<(Ctx, String)>,
    owner: Option<String>,
    done: Option<(Location, Route, Option<Region>)>,
}

/// One `GET` of a key (`open[i]`) in a context (on its region's host).
struct Job {
    i: usize,
    client: Client,
    region: Option<Region>,
}

/// A context of the sweep: its on-behalf-of value (`None`: the calling account) and region.
pub type SweepContext = (Option<String>, Option<Region>);

/// Find each key (by id) in the accounts `client` reaches, by the inventory, the key itself,
/// then the sweep. `inventory`: where the calling account's contexts are recorded (what is
/// read is recorded there too). One answer per key, in order.
pub async fn locate(
    client: &Client,
    wanted: &[Wanted],
    inventory: Option<&Recorder>,
    watch: Watch<'_>,
) -> Vec<Located> {
    locate_resuming(
        client,
        wanted,
        inventory,
        None::<fn(&[SweepContext]) -> Sweep>,
        watch,
    )
    .await
}

/// [`locate`] whose sweep (route 3) resumes: `begin` is handed every reachable context before
/// any is asked and returns the sweep, which answers from the inventory what an interrupted
/// search (or `--max-age`) left there, and records each list asked (the CLI's
/// `cli/sweeps.rs` decides what is taken). `None`: a fresh sweep, recorded in `inventory`.
pub async fn locate_resuming(
    client: &Client,
    wanted: &[Wanted],
    inventory: Option<&Recorder>,
    begin: Option<impl FnOnce(&[SweepContext]) -> Sweep>,
    watch: Watch<'_>,
) -> Vec<Located> {
    let mut open: Vec<Open> = wanted
        .iter()
        .map(|w| Open {
            id: w.id.clone(),
            key: w.key.clone(),
            absent: HashSet::new(),
            failed: Vec::new(),
            owner: None,
            done: None,
        })
        .collect();
    let ids: Vec<&str> = wanted.iter().map(|w| w.id.as_str()).collect();
    let places = Places::read(inventory, &ids);
    // 1. where the inventory last saw each id
    let jobs: Vec<Job> = open
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            places.last_seen(o.id.as_str()).map(|c| Job {
                i,
                client: places.client(client, &c),
                region: places.region(&c),
            })
        })
        .filter(|j| reachable(client, &j.client))
        .collect();
    ask_where(&jobs, &mut open, Route::Inventory, inventory).await;
    // 2. ask each key still open whose it is
    by_username(client, &mut open, &places, inventory).await;
    // 3. every other reachable context
    sweep(client, &mut open, inventory, begin, watch).await;
    open.into_iter()
        .map(|o| {
            let (location, via, region) = match o.done {
                Some((l, r, region)) => (l, Some(r), region),
                None if o.failed.is_empty() => (Location::Nowhere, None, None),
                None => (
                    Location::Unsure(o.failed.into_iter().map(|(_, why)| why).collect()),
                    None,
                    None,
                ),
            };
            Located {
                location,
                via,
                owner: o.owner,
                region,
            }
        })
        .collect()
}

/// What the inventory knows of the calling account's contexts (read once, up front: no
/// connection is held across a request).
#[derive(Default)]
struct Places {
    /// Where each key id looked for was last seen.
    last: HashMap<String, Ctx>,
    /// Regions of contexts, by on-behalf-of value.
    regions: HashMap<String, Option<Region>>,
}

impl Places {
    fn read(inventory: Option<&Recorder>, ids: &[&str]) -> Places {
        let Some(rec) = inventory else {
            return Places::default();
        };
        // what this run recorded so far is written first (a no-op when nothing was)
        rec.flush(std::time::Duration::from_secs(1));
        let reader = match rec.reader() {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("inventory not read for the leaked-key lookup: {e}");
                return Places::default();
            }
        };
        let scope = rec.scope();
        let regions = reader
            .contexts()
            .map(|cs| {
                cs.into_iter()
                    .filter(|c| c.base_url == scope.base_url && c.account == scope.account)
                    .filter_map(|c| {
                        let region = c.region.as_deref().and_then(|r| r.parse().ok());
                        c.on_behalf_of.map(|o| (o, region))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut last = HashMap::new();
        for id in ids {
            match reader.last_sighting_in(scope, id) {
                Ok(Some((c, _))) => {
                    last.insert((*id).to_owned(), c.on_behalf_of);
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("inventory: {e}"),
            }
        }
        Places { last, regions }
    }

    /// The context where the inventory last saw key `id`.
    fn last_seen(&self, id: &str) -> Option<Ctx> {
        self.last.get(id).cloned()
    }

    /// The region of context `c`, when recorded.
    fn region(&self, c: &Ctx) -> Option<Region> {
        c.as_ref()
            .and_then(|v| self.regions.get(v).copied().flatten())
    }

    /// A client acting in context `c` (on its region's host when known).
    fn client(&self, base: &Client, c: &Ctx) -> Client {
        match c {
            None => base.acting_as(None),
            Some(v) => {
                let who = OnBehalfOf::parse(v).unwrap_or_else(|_| OnBehalfOf::Subuser(v.clone()));
                base.acting_as(Some(who)).in_region(self.region(c))
            }
        }
    }
}

/// `GET /v3/api_keys/{id}` for each `(key, context)` (one request each, never hedged); what
/// is found there is settled by `route`, a 404 notes the context as "not here".
async fn ask_where(jobs: &[Job], open: &mut [Open], route: Route, inventory: Option<&Recorder>) {
    if jobs.is_empty() {
        return;
    }
    let clients: Vec<Client> = jobs.iter().map(|j| j.client.clone()).collect();
    let answers = crate::fetch::run(
        &clients,
        |n, c| {
            let id = open[jobs[n].i].id.clone();
            async move {
                let answer = c.get_key(&id).await;
                if let Some(r) = inventory {
                    crate::seen::detail(r, &crate::seen::place(r, &c), id.as_str(), &answer);
                }
                answer
            }
        },
        &crate::fetch::quiet,
    )
    .await;
    for (j, a) in jobs.iter().zip(answers) {
        let (o, c) = (&mut open[j.i], &j.client);
        match a {
            Ok(d) if d.api_key_id == o.id => {
                o.done = Some((Location::Found(c.clone(), d), route, j.region));
            }
            Ok(_) => o.failed.push((
                ctx_of(c),
                format!("{}: answered for another key", context_name(c)),
            )),
            Err(e) if e.gone_by_sendgrid() => {
                o.absent.insert(ctx_of(c));
            }
            Err(e) => o.failed.push((
                ctx_of(c),
                format!("{}: {}", context_name(c), why_unclear(&e)),
            )),
        }
    }
}

/// Route 2: each open key that may work is asked whose it is; where that is the caller's own
/// account or one of its subusers (and not asked there yet), one `GET` there.
async fn by_username(
    client: &Client,
    open: &mut [Open],
    places: &Places,
    inventory: Option<&Recorder>,
) {
    let asking: Vec<usize> = (0..open.len())
        .filter(|&i| open[i].done.is_none() && open[i].key.is_some())
        .collect();
    if asking.is_empty() {
        return;
    }
    let clients: Vec<Client> = asking
        .iter()
        .filter_map(|&i| open[i].key.clone().map(|k| client.with_key(k)))
        .collect();
    let names = crate::fetch::run(
        &clients,
        |_, c| async move { c.username().await },
        &crate::fetch::quiet,
    )
    .await;
    // the caller's own username, asked once (only when some key named an account)
    let mut own: Option<Option<String>> = None;
    let mut jobs: Vec<Job> = Vec::new();
    let mut subusers: HashMap<String, Option<Subuser>> = HashMap::new();
    for (&i, answer) in asking.iter().zip(names) {
        let Ok(named) = answer else {
            // refused, a gateway's page, no scope: the key does not say; the sweep will
            continue;
        };
        let name = named.username;
        if name.is_empty() || name.chars().any(char::is_control) {
            continue;
        }
        open[i].owner = Some(name.clone());
        if own.is_none() {
            own = Some(
                client
                    .acting_as(None)
                    .username()
                    .await
                    .ok()
                    .map(|u| u.username),
            );
        }
        let target: Option<(Client, Option<Region>)> =
            if own.as_ref().and_then(Option::as_deref) == Some(name.as_str()) {
                Some((client.acting_as(None), None))
            } else if places.regions.contains_key(&name) {
                // a subuser the inventory knows: its region too
                let c = Some(name.clone());
                Some((places.client(client, &c), places.region(&c)))
            } else {
                if !subusers.contains_key(&name) {
                    let s = client.subuser(&name).await.ok().flatten();
                    subusers.insert(name.clone(), s);
                }
                subusers.get(&name).and_then(Option::as_ref).map(|s| {
                    let c = client
                        .acting_as(Some(OnBehalfOf::Subuser(s.username.clone())))
                        .in_region(s.region);
                    (c, s.region)
                })
            };
        // a caller acting for one subuser reaches only that context
        let Some((target, region)) = target.filter(|(t, _)| reachable(client, t)) else {
            continue;
        };
        let at = ctx_of(&target);
        if !open[i].absent.contains(&at) && !open[i].failed.iter().any(|(c, _)| *c == at) {
            jobs.push(Job {
                i,
                client: target,
                region,
            });
        }
    }
    ask_where(&jobs, open, Route::Username, inventory).await;
}

/// Whether `target`'s context is one `client` searches: all of them, unless it acts for one.
fn reachable(client: &Client, target: &Client) -> bool {
    client.on_behalf_of().is_none() || client.on_behalf_of() == target.on_behalf_of()
}

/// The reachable contexts: the caller's own account, then every enabled subuser (on its
/// region's host). Listing subusers needs `subusers.read`; without it only the own account is
/// searched, and the reason is returned.
pub async fn contexts(client: &Client) -> (Vec<(Client, Option<Region>)>, Option<String>) {
    let mut out = vec![(client.clone(), None)];
    if client.on_behalf_of().is_some() {
        return (out, None);
    }
    match client.list_subusers().await {
        Ok(subs) => {
            out.extend(subs.into_iter().filter(|s| !s.disabled).map(|s: Subuser| {
                let c = client
                    .acting_as(Some(OnBehalfOf::Subuser(s.username)))
                    .in_region(s.region);
                (c, s.region)
            }));
            (out, None)
        }
        Err(e) => (
            out,
            Some(format!("the subusers (listing them failed: {})", e.short())),
        ),
    }
}

/// The most rounds a sweep makes (each after a rate-limit window).
const MAX_ROUNDS: u32 = 100;

/// The longest wait for a rate-limit window between two rounds: SendGrid's window is a minute
/// (NOTES.md); a reset named further away is not waited for, and what is left is reported as
/// not searched.
const MAX_WINDOW_WAIT_S: u64 = 61;

/// A context's list, by its index among the contexts swept.
type ListAnswer = (usize, Result<Vec<ApiKey>, ApiError>);

/// Route 3: list the keys of every reachable context not yet asked for every open key (one
/// request per context), in the waves the budget allows; stop the moment every key is found.
async fn sweep(
    client: &Client,
    open: &mut [Open],
    inventory: Option<&Recorder>,
    begin: Option<impl FnOnce(&[SweepContext]) -> Sweep>,
    watch: Watch<'_>,
) {
    if open.iter().all(|o| o.done.is_some()) {
        return;
    }
    let (all, unlisted) = contexts(client).await;
    if let Some(why) = unlisted {
        for o in open.iter_mut().filter(|o| o.done.is_none()) {
            o.failed.push((Some(String::new()), why.clone()));
        }
    }
    // a resumed sweep covers every reachable context (the next run's sweep must see them all)
    let resumed = begin.map(|b| {
        let contexts: Vec<SweepContext> = all.iter().map(|(c, r)| (ctx_of(c), *r)).collect();
        b(&contexts)
    });
    // a context every open key was already asked in is not asked again
    let todo: Vec<(Client, Option<Region>)> = all
        .into_iter()
        .filter(|(c, _)| {
            let at = ctx_of(c);
            open.iter()
                .filter(|o| o.done.is_none())
                .any(|o| !o.absent.contains(&at) && !o.failed.iter().any(|(f, _)| *f == at))
        })
        .collect();
    let recording: Option<(Recorder, i64)> = match &resumed {
        Some(s) => s.recording().map(|(r, id)| (r.clone(), id)),
        None if todo.is_empty() => None,
        None => inventory.map(|r| {
            let wanted: Vec<Wanted> = open
                .iter()
                .map(|o| Wanted {
                    id: o.id.clone(),
                    key: None,
                })
                .collect();
            (r.clone(), r.sweep_start(&search_kind(&wanted)))
        }),
    };
    if todo.is_empty() {
        if let Some((r, s)) = &recording {
            r.sweep_end(*s, "finished");
        }
        return;
    }
    let mut left: HashSet<String> = open
        .iter()
        .filter(|o| o.done.is_none())
        .map(|o| o.id.0.clone())
        .collect();
    let clients: Vec<Client> = todo.iter().map(|(c, _)| c.clone()).collect();
    // what the inventory answers for a context is not asked again
    let mut answers: Vec<ListAnswer> = Vec::new();
    let mut pending: Vec<usize> = Vec::new();
    for (n, (c, _)) in todo.iter().enumerate() {
        match resumed.as_ref().and_then(|s| s.known_list(&ctx_of(c))) {
            Some(keys) => {
                for k in &keys {
                    left.remove(&k.api_key_id.0);
                }
                answers.push((n, Ok(keys)));
            }
            None => pending.push(n),
        }
    }
    let taken = answers.len();
    let left = Mutex::new(left);
    let all_found = tokio::sync::Notify::new();
    // Rounds: what the budget allows within --timeout goes in the first; the contexts the
    // fetch engine could not send before the window reset ("not sent: … later than the
    // --timeout allows") are asked again once it has, until every key is found or a round
    // answers nothing new.
    let mut found_all = false;
    let mut rounds = 0;
    while !pending.is_empty() && !left.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
        rounds += 1;
        let done_before = todo.len() - pending.len() - taken;
        let round: Vec<Client> = pending.iter().map(|&n| clients[n].clone()).collect();
        // answers as they arrive: (context index, list), read when the round stops
        let got: Mutex<Vec<ListAnswer>> = Mutex::new(Vec::new());
        let tick = |d: usize, _: usize| (watch.progress)(done_before + d, todo.len() - taken);
        let engine = crate::fetch::run(
            &round,
            |k, c| {
                let n = pending[k];
                let region = todo[n].1.map(Region::as_str);
                let (got, left, all_found) = (&got, &left, &all_found);
                let (recording, resumed) = (&recording, &resumed);
                async move {
                    // every key found meanwhile: nothing more is sent
                    if left.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
                        return;
                    }
                    let answer = c.list_keys(None).await;
                    let deferred = matches!(answer, Err(ApiError::RateWaitTooLong { .. }));
                    if let (Some(s), false) = (resumed, deferred) {
                        s.listed(&c, &answer);
                    } else if let (Some((r, s)), false) = (recording, deferred) {
                        let place = crate::seen::place(r, &c);
                        crate::seen::list(r, &place, &answer, true, Some(*s));
                        if answer.is_ok() {
                            r.sweep_context(*s, &place, region);
                        }
                    }
                    if let Ok(keys) = &answer {
                        let mut l = left.lock().unwrap_or_else(|p| p.into_inner());
                        for k in keys {
                            l.remove(&k.api_key_id.0);
                        }
                        if l.is_empty() {
                            all_found.notify_one();
                        }
                    }
                    got.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((n, answer));
                }
            },
            &tick,
        );
        let stopped = tokio::select! {
            biased;
            () = all_found.notified() => true,
            _ = engine => false,
        };
        let got = got.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut wait_s = 0;
        let mut again = Vec::new();
        for (n, a) in got {
            match a {
                Err(ApiError::RateWaitTooLong { reset_in_s, .. }) => {
                    wait_s = wait_s.max(reset_in_s);
                    again.push(n);
                }
                a => answers.push((n, a)),
            }
        }
        if stopped {
            found_all = true;
            break;
        }
        // a window longer than SendGrid's (60 s) is a header not to be believed: not waited
        if again.is_empty() || rounds >= MAX_ROUNDS || wait_s > MAX_WINDOW_WAIT_S {
            // every context answered (or the rounds are spent): what is left failed
            for n in again {
                answers.push((
                    n,
                    Err(ApiError::RateWaitTooLong {
                        reset_in_s: wait_s,
                        timeout: clients[n].timeout(),
                    }),
                ));
            }
            break;
        }
        // wait for the window the answers named, then ask the rest
        (watch.waiting)(wait_s, again.len());
        tokio::time::sleep(std::time::Duration::from_secs(
            wait_s.clamp(1, MAX_WINDOW_WAIT_S),
        ))
        .await;
        pending = again;
    }
    if let Some((r, s)) = &recording {
        let ok = answers.iter().all(|(_, a)| a.is_ok());
        // stopped because every key was found: the search is over, never resumed (nor read as
        // a sweep that answered every context)
        r.sweep_end(
            *s,
            if found_all {
                "found"
            } else if ok && answers.len() == todo.len() {
                "finished"
            } else {
                "incomplete"
            },
        );
    }
    // what each context said of each key still looked for
    for (n, a) in &answers {
        let c = &clients[*n];
        let at = ctx_of(c);
        for o in open.iter_mut().filter(|o| o.done.is_none()) {
            match a {
                Ok(keys) if keys.iter().any(|k| k.api_key_id == o.id) => {}
                Ok(_) => {
                    o.absent.insert(at.clone());
                }
                Err(e) => o.failed.push((
                    at.clone(),
                    format!("{}: {}", context_name(c), why_unclear(e)),
                )),
            }
        }
    }
    // where a key was listed: its detail there (one request). When the sweep stopped because
    // every key was listed, the contexts not asked are left unasked: they matter to none.
    let mut jobs: Vec<Job> = Vec::new();
    for (i, o) in open.iter().enumerate().filter(|(_, o)| o.done.is_none()) {
        if let Some((n, _)) = answers
            .iter()
            .find(|(_, a)| matches!(a, Ok(keys) if keys.iter().any(|k| k.api_key_id == o.id)))
        {
            let (client, region) = todo[*n].clone();
            jobs.push(Job { i, client, region });
        }
    }
    ask_where(&jobs, open, Route::Sweep, inventory).await;
}
