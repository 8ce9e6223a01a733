//! Sweeps that remember and resume: every answer of a sweep (`audit --all-subusers`, `list
//! --scopes`, `export`) is recorded in the inventory the moment it arrives, so a sweep cut short
//! (Ctrl-C, kill -9, a crash) loses nothing it was answered; and a sweep can take answers the
//! inventory holds instead of asking again.
//!
//! Which answers are taken is decided by the caller ([`Known::since`]): an interrupted sweep of
//! the same command is resumed from its start (within `--max-age`, default 10 min), and
//! `--max-age` asks for any answer younger than that; otherwise nothing is taken and the sweep
//! reads fresh (a sweep that finished is never reused silently).
//!
//! What counts as an answer: a context's complete list read (its keys are then the ones the
//! inventory holds not gone), a key read in detail (name and scopes), and a key that answered
//! 404 or that sgkeys revoked (not there: skipped, as a sweep skips a key revoked between its
//! list and its read).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::api::{ApiError, ApiKey, ApiKeyId, Client, KeyDetail, OnBehalfOf, Region};
use crate::inventory::{InventoryError, Millis, Place, Reader, Recorder, Scope, SweepRow};

/// How old an answer an interrupted run may leave to the next one, without `--max-age`.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);

/// Where a new run of a sweep may take answers from, decided before it starts.
#[derive(Debug, Default)]
pub struct Resumable {
    /// The interrupted run being resumed.
    pub run: Option<SweepRow>,
    /// Its contexts (on-behalf-of value, region), when resumed.
    pub contexts: Vec<(Option<String>, Option<Region>)>,
    /// Answers recorded at or after this are taken (`None`: every request is sent).
    pub since: Option<Millis>,
}

/// What a new run of sweep `kind` over `scope` (acting in context `own`) may take: the last run
/// of the same kind, when it was interrupted or cut short, started within `max_age` (default
/// [`DEFAULT_MAX_AGE`]) and covered `own`, is resumed from its start; `max_age` given takes any
/// answer younger than it; otherwise nothing is taken (a run that finished is never reused
/// silently). `max_age` of zero asks everything.
pub fn resumable(
    reader: &Reader,
    scope: &Scope,
    kind: &str,
    own: &Option<String>,
    max_age: Option<Duration>,
    now: Millis,
) -> Result<Resumable, InventoryError> {
    let window = max_age.unwrap_or(DEFAULT_MAX_AGE);
    let cutoff = now - window.as_millis() as Millis;
    let mut found = Resumable::default();
    let last = reader.last_sweep(kind, scope)?;
    // an interrupted (or cut-short) run of the same command, started within the window
    let run = last
        .filter(|s| matches!(s.state.as_str(), "interrupted" | "incomplete"))
        .filter(|s| s.started_at >= cutoff && !window.is_zero());
    if let Some(s) = run
        && let Ok(rows) = reader.sweep_contexts(s.id)
        && rows.iter().any(|r| &r.on_behalf_of == own)
    {
        found.contexts = rows
            .into_iter()
            .map(|r| {
                let region = r.region.as_deref().and_then(|x| x.parse().ok());
                (r.on_behalf_of, region)
            })
            .collect();
        found.since = Some(s.started_at.max(cutoff));
        found.run = Some(s);
    }
    if max_age.is_some_and(|d| !d.is_zero()) {
        found.since = Some(cutoff);
    }
    Ok(found)
}

/// The on-behalf-of value of a sweep context (`None`: the account itself; `acme` or
/// `account-id 12`), as the inventory records it.
pub fn header_of(context: Option<&str>) -> Option<String> {
    context.map(|s| {
        OnBehalfOf::parse(s)
            .map(|o| o.header_value())
            .unwrap_or_else(|_| s.to_owned())
    })
}

/// Answers the inventory holds that a sweep may take instead of asking.
#[derive(Debug, Default)]
pub struct Known {
    /// Answers recorded at or after this time are taken (`None`: nothing is).
    pub since: Option<Millis>,
    /// Each context's keys, by on-behalf-of value, from a complete list read since `since`.
    lists: HashMap<Option<String>, Vec<ApiKey>>,
    /// Each key read since `since`: its detail, or `None` when it was not there (404, revoked).
    details: HashMap<(Option<String>, String), Option<KeyDetail>>,
}

impl Known {
    /// Nothing known: every request is sent.
    pub fn none() -> Known {
        Known::default()
    }

    /// What `reader` holds for `contexts` (on-behalf-of values) of `scope` since `since`.
    pub fn load(
        reader: &Reader,
        scope: &Scope,
        contexts: &[Option<String>],
        since: Millis,
    ) -> Result<Known, InventoryError> {
        let mut known = Known {
            since: Some(since),
            ..Default::default()
        };
        for obo in contexts {
            let Some(row) = reader.context(&scope.place(obo.clone()))? else {
                continue;
            };
            let list_fresh = row.list_read_at.is_some_and(|t| t >= since);
            let mut listed = Vec::new();
            reader.each_key(row.id, true, |k| {
                if list_fresh && k.gone_at.is_none() {
                    listed.push(ApiKey {
                        api_key_id: ApiKeyId(k.key_id.clone()),
                        name: k.name.clone(),
                    });
                }
                let gone_since = k.gone_at.is_some_and(|t| t >= since)
                    && matches!(k.gone_how.as_deref(), Some("not_found" | "revoked"));
                let read_since = k.gone_at.is_none()
                    && k.detail_read_at.is_some_and(|t| t >= since)
                    && k.scopes.is_some();
                if gone_since {
                    known.details.insert((obo.clone(), k.key_id), None);
                } else if read_since {
                    let scopes = k.scopes.as_deref().map(<[String]>::to_vec);
                    known.details.insert(
                        (obo.clone(), k.key_id.clone()),
                        Some(KeyDetail {
                            api_key_id: ApiKeyId(k.key_id),
                            name: k.name,
                            scopes: scopes.unwrap_or_default(),
                        }),
                    );
                }
            })?;
            if list_fresh {
                known.lists.insert(obo.clone(), listed);
            }
        }
        Ok(known)
    }

    /// Contexts whose key list is known.
    pub fn lists(&self) -> usize {
        self.lists.len()
    }

    /// Keys whose read is known (read, or not there).
    pub fn details(&self) -> usize {
        self.details.len()
    }
}

/// One sweep under way: what it may take from the inventory, and where it records each answer
/// as it arrives.
pub struct Sweep {
    known: Known,
    rec: Option<Recorder>,
    /// The sweep's id in the inventory (`None`: reads recorded, but not as a sweep).
    id: Option<i64>,
    taken_lists: AtomicUsize,
    taken_details: AtomicUsize,
    asked: AtomicUsize,
}

impl Sweep {
    /// A sweep that takes from `known` and records into `rec` (with its sweep id).
    pub fn new(known: Known, rec: Option<(Recorder, i64)>) -> Sweep {
        let (rec, id) = match rec {
            Some((r, id)) => (Some(r), Some(id)),
            None => (None, None),
        };
        Sweep {
            known,
            rec,
            id,
            taken_lists: AtomicUsize::new(0),
            taken_details: AtomicUsize::new(0),
            asked: AtomicUsize::new(0),
        }
    }

    /// Nothing known, nothing recorded (tests, benches).
    pub fn unrecorded() -> Sweep {
        Sweep::new(Known::none(), None)
    }

    /// Nothing known; each answer recorded into `rec` (when given), as no sweep.
    pub fn recorded(rec: Option<Recorder>) -> Sweep {
        Sweep {
            rec,
            ..Sweep::unrecorded()
        }
    }

    /// The keys of context `obo` when the inventory answers for them.
    pub fn known_list(&self, obo: &Option<String>) -> Option<Vec<ApiKey>> {
        let l = self.known.lists.get(obo).cloned();
        if l.is_some() {
            self.taken_lists.fetch_add(1, Ordering::Relaxed);
        }
        l
    }

    /// Key `id` of context `obo` when the inventory answers for it (`Err(NotFound)`: it was
    /// not there).
    pub fn known_detail(
        &self,
        obo: &Option<String>,
        id: &ApiKeyId,
    ) -> Option<Result<KeyDetail, ApiError>> {
        let d = self.known.details.get(&(obo.clone(), id.0.clone()))?;
        self.taken_details.fetch_add(1, Ordering::Relaxed);
        Some(match d {
            Some(d) => Ok(d.clone()),
            None => Err(ApiError::NotFound(Default::default())),
        })
    }

    fn place(rec: &Recorder, client: &Client) -> Place {
        crate::seen::place(rec, client)
    }

    /// A context's list answer, recorded now (complete: asked without a limit).
    pub fn listed(&self, client: &Client, answer: &Result<Vec<ApiKey>, ApiError>) {
        self.asked.fetch_add(1, Ordering::Relaxed);
        if let Some(rec) = &self.rec {
            crate::seen::list(rec, &Self::place(rec, client), answer, true, self.id);
        }
    }

    /// A key's read, recorded now.
    pub fn read(&self, client: &Client, id: &ApiKeyId, answer: &Result<KeyDetail, ApiError>) {
        self.asked.fetch_add(1, Ordering::Relaxed);
        if let Some(rec) = &self.rec {
            crate::seen::detail(rec, &Self::place(rec, client), id.as_str(), answer);
        }
    }

    /// (lists taken, key reads taken) from the inventory so far.
    pub fn taken(&self) -> (usize, usize) {
        (
            self.taken_lists.load(Ordering::Relaxed),
            self.taken_details.load(Ordering::Relaxed),
        )
    }

    /// Answers received from SendGrid so far (each recorded).
    pub fn asked(&self) -> usize {
        self.asked.load(Ordering::Relaxed)
    }

    /// The recorder and sweep id, when recording.
    pub fn recording(&self) -> Option<(&Recorder, i64)> {
        self.rec.as_ref().zip(self.id)
    }

    /// The time answers are taken from (`None`: none are).
    pub fn since(&self) -> Option<Millis> {
        self.known.since
    }
}

/// `(client, id)` reads of a sweep: those the inventory answers are taken, the rest asked
/// through the fetch engine (hedged, in waves) and recorded as each arrives. Results in the
/// order asked; `progress` counts only what is asked.
pub async fn details(
    sweep: &Sweep,
    jobs: &[(Client, Option<String>, ApiKeyId)],
    progress: crate::fetch::Progress<'_>,
) -> Vec<Result<KeyDetail, ApiError>> {
    let mut results: Vec<Option<Result<KeyDetail, ApiError>>> = jobs
        .iter()
        .map(|(_, obo, id)| sweep.known_detail(obo, id))
        .collect();
    let ask: Vec<usize> = (0..jobs.len()).filter(|&i| results[i].is_none()).collect();
    let clients: Vec<Client> = ask.iter().map(|&i| jobs[i].0.clone()).collect();
    let answers = crate::fetch::reads(
        &clients,
        |n, c| {
            let id = jobs[ask[n]].2.clone();
            async move {
                let answer = c.get_key(&id).await;
                sweep.read(&c, &id, &answer);
                answer
            }
        },
        progress,
    )
    .await;
    for (i, a) in ask.into_iter().zip(answers) {
        results[i] = Some(a);
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or(Err(ApiError::Cancelled)))
        .collect()
}
