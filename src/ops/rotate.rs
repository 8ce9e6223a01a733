//! One rotation, from plan to record, as a value both fronts drive (`sgkeys rotate` in
//! `cli/rotate.rs`, `R` in `app/rotate.rs`).
//!
//! A [`Rotation`] knows where it stands ([`Stage`]) and, at each step, hands its front the next
//! thing to do as data: the create to run ([`Mutation::Rotate`]), the secret to deliver at once,
//! the delivery to journal, the "is the new key deployed?" gate, the revoke of the old key
//! ([`Mutation::Revoke`]), the read-back to run and journal. The front does the input and output
//! (the CLI awaits [`Ops`] directly; the dashboard sends commands to its worker, which calls the
//! same [`Ops`] methods) and feeds each answer back. So both fronts take the same steps and leave
//! the same journal records.
//!
//! The plan:
//!
//! 1. **create** the replacement with the old key's scopes (journaled: an intent with
//!    `secret_delivered: false`, then the outcome);
//! 2. **deliver** its secret at once, before anything else happens (a file, the terminal, the
//!    dialog), and journal that it was delivered. Only then is the rotation *pending*: a
//!    replacement whose secret never reached anyone is an orphan (*secret lost*), never a reason
//!    to revoke the working old key;
//! 3. the **deployed?** gate: now, or later (the rotation stays pending in the journal);
//! 4. **revoke** the old key (finishing later: first read the replacement back, and refuse when
//!    it is gone);
//! 5. **read back** the old key (404: gone) and journal what it answered.

use crate::api::{ApiError, ApiKeyId, CreatedKey, KeyDetail};
use crate::journal::{Entry, Outcome};
use crate::scopes;

use super::{Done, Effect, Mutation, Ops};

/// The key being replaced, as read before the rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldKey {
    pub id: ApiKeyId,
    pub name: String,
    /// Its scopes as sent (the replacement gets these).
    pub scopes: Vec<String>,
}

impl OldKey {
    pub fn from_detail(d: &KeyDetail) -> OldKey {
        OldKey {
            id: d.api_key_id.clone(),
            name: d.name.clone(),
            scopes: scopes::sendable(&d.scopes),
        }
    }
}

/// The replacement, as SendGrid answered (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub id: ApiKeyId,
    pub name: String,
    pub scopes: Vec<String>,
}

/// Where a rotation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Nothing sent.
    Planned,
    /// The create is under way.
    Creating,
    /// The replacement exists; its secret is on its way to its destination.
    Delivering,
    /// The secret was delivered: the "deployed?" gate.
    Ready,
    /// Kept for later: both keys work; the journal holds the pending rotation.
    Pending,
    /// Finishing: reading the replacement back before the old key is revoked.
    CheckingReplacement,
    /// The old key's revoke is under way.
    Revoking,
    /// The old key was revoked; reading it back.
    ReadingBack,
    /// Done: the old key revoked. `gone`: what reading it back answered (404: `Some(true)`;
    /// `None`: not read back: it was the key sgkeys used, or the read failed).
    Finished { gone: Option<bool> },
    /// No replacement: the create was refused, or its outcome is unknown.
    NotCreated { why: String, unknown: bool },
    /// The replacement exists but its secret reached nobody: an orphan to revoke; the old key
    /// stays and the rotation is not pending.
    SecretLost { why: String },
    /// The old key's revoke failed (or its outcome is unknown): both keys work; the rotation
    /// stays pending.
    RevokeFailed { why: String, unknown: bool },
    /// Finishing was refused: the replacement is gone (revoked meanwhile) or could not be read
    /// back; the old key is kept.
    FinishRefused { why: String, replacement_gone: bool },
}

impl Stage {
    /// Both keys exist and the replacement's secret was delivered: finish it later.
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            Stage::Ready | Stage::Pending | Stage::RevokeFailed { .. }
        )
    }

    /// Something went wrong (the exit status of a rotation run).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Stage::NotCreated { .. }
                | Stage::SecretLost { .. }
                | Stage::RevokeFailed { .. }
                | Stage::FinishRefused { .. }
        )
    }
}

/// A read-back to run: the key, and the journal record to add its answer to.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadBackStep {
    pub id: ApiKeyId,
    pub entry: Option<Box<Entry>>,
}

/// What reading a revoked key back answered, and whether the journal took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadBack {
    /// 404: `Some(true)`; still there: `Some(false)`; the read failed: `None`.
    pub gone: Option<bool>,
    /// The read's error, when it failed.
    pub error: Option<String>,
    pub journal_error: Option<String>,
}

/// One rotation: the old key, its replacement, where it stands, and its journal records.
#[derive(Debug, Clone, PartialEq)]
pub struct Rotation {
    pub old: OldKey,
    /// The replacement's name as asked.
    pub name: String,
    /// The replacement, once it exists.
    pub new: Option<NewKey>,
    pub stage: Stage,
    /// The create's journal record (the delivery is added to it).
    pub create_entry: Option<Box<Entry>>,
    /// Things to tell the person (the answer differed from the request, the journal could not
    /// record a step), in the order they happened.
    pub warnings: Vec<String>,
}

impl Rotation {
    /// A rotation of `old` into a replacement named `name`, nothing sent yet.
    pub fn plan(old: OldKey, name: String) -> Rotation {
        Rotation {
            old,
            name,
            new: None,
            stage: Stage::Planned,
            create_entry: None,
            warnings: Vec::new(),
        }
    }

    /// A pending rotation from the journal (its create entry), to finish. The old key's name
    /// and scopes are those read now, when it could be read.
    pub fn pending(old: OldKey, created: &Entry) -> Rotation {
        Rotation {
            name: created.name.clone().unwrap_or_default(),
            new: Some(NewKey {
                id: ApiKeyId(created.api_key_id.clone()),
                name: created.name.clone().unwrap_or_default(),
                scopes: created.scopes_after.clone().unwrap_or_default(),
            }),
            old,
            stage: Stage::Pending,
            create_entry: Some(Box::new(created.clone())),
            warnings: Vec::new(),
        }
    }

    /// Step 1: the create to run. Planned → Creating.
    pub fn create(&mut self) -> Mutation {
        self.stage = Stage::Creating;
        Mutation::Rotate {
            old: self.old.id.clone(),
            name: self.name.clone(),
            scopes: self.old.scopes.clone(),
        }
    }

    /// The create's answer. Returns the replacement with its secret, to deliver at once (then
    /// say how with [`Rotation::delivered`]); `None` when there is nothing to deliver.
    pub fn created(&mut self, done: Done) -> Option<CreatedKey> {
        self.create_entry = done.entry;
        if let Some(e) = done.journal_error {
            self.warnings.push(format!(
                "the journal could not record the replacement's outcome ({e})"
            ));
        }
        self.warnings.extend(done.differs);
        match done.result {
            Ok(Effect::Created(k)) => {
                self.new = Some(NewKey {
                    id: k.api_key_id.clone(),
                    name: k.name.clone(),
                    scopes: scopes::sendable(&k.scopes),
                });
                self.stage = Stage::Delivering;
                Some(k)
            }
            Err(ApiError::CreatedSecretLost { id, cause }) => {
                self.new = Some(NewKey {
                    id: ApiKeyId(id.clone()),
                    name: self.name.clone(),
                    scopes: self.old.scopes.clone(),
                });
                self.stage = Stage::SecretLost {
                    why: format!(
                        "the replacement was created as {id} but the answer, and its secret, \
                         were lost ({cause})"
                    ),
                };
                None
            }
            Err(e) => {
                let why = match &done.note {
                    Some(n) => format!("{e}; {n}"),
                    None => e.to_string(),
                };
                self.stage = Stage::NotCreated {
                    why,
                    unknown: done.outcome == Outcome::Unknown,
                };
                None
            }
            Ok(other) => {
                self.stage = Stage::NotCreated {
                    why: format!("internal: a create answered {other:?}"),
                    unknown: false,
                };
                None
            }
        }
    }

    /// Step 2: whether the secret reached its destination (`Err`: why not). Delivering →
    /// Ready, or SecretLost. Returns the journal record to add the delivery to
    /// ([`Ops::record_delivery`]).
    pub fn delivered(&mut self, r: Result<(), String>) -> Option<(Box<Entry>, bool)> {
        if self.stage != Stage::Delivering {
            return None;
        }
        let ok = r.is_ok();
        self.stage = match r {
            Ok(()) => Stage::Ready,
            Err(why) => Stage::SecretLost {
                why: format!("its secret could not be delivered: {why}"),
            },
        };
        self.create_entry.clone().map(|e| (e, ok))
    }

    /// Step 3, the deployed? gate: `now` gives the revoke of the old key to run (Ready →
    /// Revoking); later keeps both (Ready → Pending). Nothing when the rotation is not ready.
    pub fn deployed(&mut self, now: bool) -> Option<Mutation> {
        if self.stage != Stage::Ready {
            return None;
        }
        if now {
            Some(self.revoke())
        } else {
            self.stage = Stage::Pending;
            None
        }
    }

    /// Finishing a pending rotation: the replacement to read back first. Pending →
    /// CheckingReplacement.
    pub fn finish(&mut self) -> Option<ApiKeyId> {
        if !self.stage.is_pending() {
            return None;
        }
        let new = self.new.as_ref()?.id.clone();
        self.stage = Stage::CheckingReplacement;
        Some(new)
    }

    /// The replacement read back: there, the revoke of the old key to run (→ Revoking); gone
    /// (404) or unreadable, finishing is refused and the old key kept.
    pub fn replacement_read(&mut self, r: Result<KeyDetail, ApiError>) -> Option<Mutation> {
        if self.stage != Stage::CheckingReplacement {
            return None;
        }
        let new = self.new.as_ref().map_or(String::new(), |n| n.id.0.clone());
        match r {
            Ok(_) => Some(self.revoke()),
            // only SendGrid's own 404: a gateway's page says nothing about the key
            Err(e) if e.gone_by_sendgrid() => {
                self.stage = Stage::FinishRefused {
                    why: format!(
                        "the replacement {new} is gone (revoked meanwhile?): the old key is \
                         kept, as it may be the only working one; rotate it again"
                    ),
                    replacement_gone: true,
                };
                None
            }
            Err(e) => {
                self.stage = Stage::FinishRefused {
                    why: format!(
                        "the replacement {new} could not be read back ({}): the old key is \
                         kept; try again",
                        e.short()
                    ),
                    replacement_gone: false,
                };
                None
            }
        }
    }

    fn revoke(&mut self) -> Mutation {
        self.stage = Stage::Revoking;
        Mutation::Revoke {
            id: self.old.id.clone(),
            name: self.old.name.clone(),
            // (empty: not known, the old key could not be read)
            scopes_before: (!self.old.scopes.is_empty()).then(|| self.old.scopes.clone()),
        }
    }

    /// Step 4, the old key's revoke answered (`Err`: why it failed; `unknown`: its outcome is
    /// unknown). Returns the read-back to run (→ ReadingBack). `own`: it was the key sgkeys
    /// used, which nothing can read back any more (→ Finished).
    pub fn revoked(
        &mut self,
        r: Result<(), String>,
        unknown: bool,
        entry: Option<Box<Entry>>,
        own: bool,
    ) -> Option<ReadBackStep> {
        if !matches!(
            self.stage,
            Stage::Revoking | Stage::Ready | Stage::Pending | Stage::RevokeFailed { .. }
        ) {
            return None;
        }
        match r {
            Err(why) => {
                self.stage = Stage::RevokeFailed { why, unknown };
                None
            }
            Ok(()) if own => {
                self.stage = Stage::Finished { gone: None };
                None
            }
            Ok(()) => {
                self.stage = Stage::ReadingBack;
                Some(ReadBackStep {
                    id: self.old.id.clone(),
                    entry,
                })
            }
        }
    }

    /// [`Rotation::revoked`] from the revoke's [`Done`].
    pub fn revoke_done(&mut self, done: &Done, own: bool) -> Option<ReadBackStep> {
        if let Some(e) = &done.journal_error {
            self.warnings
                .push(format!("the journal could not record the revoke ({e})"));
        }
        let r = match done.result {
            Ok(_) => Ok(()),
            Err(_) => Err(done.describe_error().unwrap_or_default()),
        };
        self.revoked(r, done.outcome == Outcome::Unknown, done.entry.clone(), own)
    }

    /// Step 5, the old key read back. ReadingBack → Finished.
    pub fn read_back(&mut self, r: &ReadBack) {
        if self.stage != Stage::ReadingBack {
            return;
        }
        if let Some(e) = &r.journal_error {
            self.warnings
                .push(format!("the journal could not record the read-back ({e})"));
        }
        self.stage = Stage::Finished { gone: r.gone };
    }

    /// The stage in words, for a report line.
    pub fn describe(&self) -> String {
        let orphan = self.new.as_ref().map(|n| n.id.as_str()).unwrap_or("?");
        match &self.stage {
            Stage::Planned | Stage::Creating => "NOT ROTATED: not sent".into(),
            Stage::Delivering => "rotated; its secret is being delivered".into(),
            Stage::Ready | Stage::Pending => "rotated; old key kept (pending)".into(),
            Stage::CheckingReplacement => "reading the replacement back".into(),
            Stage::Revoking => "rotated; revoking the old key".into(),
            Stage::ReadingBack => "rotated; old key revoked (reading it back)".into(),
            Stage::Finished { gone: Some(true) } => {
                "rotated; old key revoked, verified gone".into()
            }
            Stage::Finished { gone: Some(false) } => {
                "rotated; old key revoked but STILL LISTED on read-back: check it".into()
            }
            Stage::Finished { gone: None } => "rotated; old key revoked (not read back)".into(),
            Stage::NotCreated { why, unknown: true } => {
                format!("NOT ROTATED (outcome of the create UNKNOWN): {why}")
            }
            Stage::NotCreated { why, .. } => format!("NOT ROTATED: {why}"),
            Stage::SecretLost { why } => format!(
                "SECRET LOST: {why}; the replacement {orphan} is an orphan: revoke it \
                 (sgkeys revoke {orphan}) and rotate again; the old key stays"
            ),
            Stage::RevokeFailed { why, unknown } => format!(
                "rotated; old key NOT revoked{}: {why}; it still works: finish with sgkeys \
                 rotate --finish {}",
                if *unknown { " (outcome UNKNOWN)" } else { "" },
                self.old.id
            ),
            Stage::FinishRefused { why, .. } => format!("NOT FINISHED: {why}"),
        }
    }
}

impl Ops {
    /// Add to a rotation's create record whether its secret was delivered (journal line).
    /// Returns the journal's error, if it could not.
    pub fn record_delivery(&self, entry: &Entry, delivered: bool) -> Option<String> {
        let j = self.journal.as_ref()?;
        j.delivery(entry, delivered).err().map(|e| e.to_string())
    }

    /// Read a revoked key back (404: gone) and add the answer to its revoke's journal record.
    pub async fn read_back(&self, step: &ReadBackStep) -> ReadBack {
        let (gone, error) = match self.client.get_key(&step.id).await {
            // only SendGrid's own 404: a gateway's page says nothing about the key
            Err(e) if e.gone_by_sendgrid() => (Some(true), None),
            Ok(_) => (Some(false), None),
            Err(e) => (None, Some(e.short())),
        };
        let journal_error = match (&self.journal, &step.entry, gone) {
            (Some(j), Some(entry), Some(g)) => j.read_back(entry, g).err().map(|e| e.to_string()),
            _ => None,
        };
        ReadBack {
            gone,
            error,
            journal_error,
        }
    }
}

/// The replacement's name: `NAME (rotated YYYY-MM-DD)`, without stacking earlier suffixes.
pub fn lineage_name(old: &str, today: &str) -> String {
    let base = match old.rfind(" (rotated ") {
        Some(i) if old.ends_with(')') => &old[..i],
        _ => old,
    };
    let name = format!("{base} (rotated {today})");
    let max = crate::api::models::MAX_NAME_LEN;
    if name.chars().count() <= max {
        return name;
    }
    let suffix = format!(" (rotated {today})");
    let keep: String = base.chars().take(max - suffix.chars().count()).collect();
    format!("{keep}{suffix}")
}

/// Today's date, `YYYY-MM-DD` (UTC), for [`lineage_name`].
pub fn today() -> String {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    now.chars().take(10).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn old() -> OldKey {
        OldKey {
            id: ApiKeyId("Old0000000000000000000".into()),
            name: "checkout".into(),
            scopes: vec!["mail.send".into()],
        }
    }

    fn created() -> CreatedKey {
        CreatedKey {
            api_key: Secret::from_server(format!("SG.{}.{}", "N".repeat(22), "s".repeat(43))),
            api_key_id: ApiKeyId("N".repeat(22)),
            name: "checkout (rotated 2026-11-28)".into(),
            scopes: vec!["mail.send".into()],
        }
    }

    fn entry() -> Box<Entry> {
        Box::new(Entry::new(
            crate::journal::Action::Rotate,
            "http://x",
            None,
            "",
            "cli",
        ))
    }

    fn made() -> Rotation {
        let mut r = Rotation::plan(old(), "checkout (rotated 2026-11-28)".into());
        let m = r.create();
        assert!(matches!(m, Mutation::Rotate { ref scopes, .. } if scopes == &["mail.send"]));
        let mut done = Done::ok(Effect::Created(created()));
        done.entry = Some(entry());
        assert!(r.created(done).is_some());
        assert_eq!(r.stage, Stage::Delivering);
        r
    }

    #[test]
    fn now_revokes_then_reads_back() {
        let mut r = made();
        assert!(
            r.deployed(true).is_none(),
            "not before the secret is delivered"
        );
        let (_, ok) = r.delivered(Ok(())).unwrap();
        assert!(ok);
        assert!(r.stage.is_pending());
        let m = r.deployed(true).unwrap();
        assert!(matches!(m, Mutation::Revoke { ref id, .. } if id == &old().id));
        let step = r.revoked(Ok(()), false, Some(entry()), false).unwrap();
        assert_eq!(step.id, old().id);
        r.read_back(&ReadBack {
            gone: Some(true),
            error: None,
            journal_error: None,
        });
        assert_eq!(r.stage, Stage::Finished { gone: Some(true) });
        assert!(!r.stage.is_failure());
    }

    #[test]
    fn a_secret_not_delivered_is_lost_never_pending() {
        let mut r = made();
        r.delivered(Err("No space left on device".into())).unwrap();
        assert!(matches!(r.stage, Stage::SecretLost { .. }));
        assert!(!r.stage.is_pending());
        assert!(r.deployed(true).is_none(), "the old key is never revoked");
        assert!(r.finish().is_none());
        assert!(r.describe().contains(&"N".repeat(22)), "{}", r.describe());
    }

    #[test]
    fn a_create_answered_500_after_creating_is_secret_lost() {
        let mut r = Rotation::plan(old(), "n".into());
        r.create();
        let done = Done {
            outcome: Outcome::Ok,
            ..Done::err(ApiError::CreatedSecretLost {
                id: "Orphan0000000000000000".into(),
                cause: "HTTP 500".into(),
            })
        };
        assert!(r.created(done).is_none());
        assert!(matches!(r.stage, Stage::SecretLost { .. }));
        assert!(r.describe().contains("Orphan0000000000000000"));
    }

    #[test]
    fn finishing_reads_the_replacement_back_first() {
        let mut r = made();
        r.delivered(Ok(())).unwrap();
        assert!(r.deployed(false).is_none());
        assert_eq!(r.stage, Stage::Pending);
        let mut gone = r.clone();
        assert_eq!(gone.finish(), Some(ApiKeyId("N".repeat(22))));
        let mut gateway = gone.clone();
        let sendgrids = br#"{"errors":[{"field":null,"message":"unable to find API Key"}]}"#;
        let none = gone.replacement_read(Err(ApiError::from_status(404, sendgrids, None)));
        assert!(none.is_none());
        assert!(matches!(
            gone.stage,
            Stage::FinishRefused {
                replacement_gone: true,
                ..
            }
        ));
        // a gateway's HTML 404 is no word on the replacement: refused, never called gone
        let page = b"<html><title>404 Not Found</title></html>";
        assert!(
            gateway
                .replacement_read(Err(ApiError::from_status(404, page, None)))
                .is_none()
        );
        assert!(matches!(
            gateway.stage,
            Stage::FinishRefused {
                replacement_gone: false,
                ..
            }
        ));
        assert!(gateway.describe().contains("could not be read back"));
        r.finish().unwrap();
        let detail = KeyDetail {
            api_key_id: ApiKeyId("N".repeat(22)),
            name: "x".into(),
            scopes: vec![],
        };
        assert!(matches!(
            r.replacement_read(Ok(detail)),
            Some(Mutation::Revoke { .. })
        ));
        // the revoke fails: still pending, said
        assert!(
            r.revoked(Err("HTTP 503".into()), false, None, false)
                .is_none()
        );
        assert!(r.stage.is_pending() && r.stage.is_failure());
        // the key sgkeys used: nothing reads it back
        assert!(r.revoked(Ok(()), false, None, true).is_none());
        assert_eq!(r.stage, Stage::Finished { gone: None });
    }

    #[test]
    fn lineage_names_do_not_stack() {
        assert_eq!(
            lineage_name("checkout", "2026-11-28"),
            "checkout (rotated 2026-11-28)"
        );
        assert_eq!(
            lineage_name("checkout (rotated 2026-01-02)", "2026-11-28"),
            "checkout (rotated 2026-11-28)"
        );
        let long = "x".repeat(100);
        assert_eq!(lineage_name(&long, "2026-11-28").chars().count(), 100);
    }
}
