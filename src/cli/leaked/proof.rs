//! Revoke every target of a leaked-key run at once (the key sgkeys uses last), then prove them
//! all dead together: asked again until SendGrid refuses each, within `--verify-timeout`.

use std::collections::HashMap;
use std::time::Duration;

use super::case::{Case, Settled};
use crate::api::ApiKeyId;
use crate::cli::RevokeArgs;
use crate::cli::context::{Ctx, warn_journal};
use crate::journal::Outcome;
use crate::leak::{self, Verification};
use crate::ops::{Effect, Ops, RevokeTarget};
use crate::scopes;
use crate::secret::Secret;

/// 4, 5. Revoke every target at once (the key sgkeys uses last), then prove them all dead
/// together. Ctrl-C (or SIGTERM) sends nothing more and stops the proof; the second one exits.
pub(super) async fn revoke_and_prove(
    ctx: &Ctx,
    args: &RevokeArgs,
    cases: &[&Case],
) -> (Vec<Settled>, bool) {
    let targets: Vec<RevokeTarget> = cases
        .iter()
        .map(|c| match c.home() {
            Some((client, d)) => RevokeTarget {
                ops: ctx.ops.acting_as(client.clone()),
                id: d.api_key_id.clone(),
                name: d.name.clone(),
                scopes_before: Some(scopes::sendable(&d.scopes)),
            },
            // its own credential, in its own account: journaled as a self-revoke, and not
            // recorded in the inventory of the context's account
            None => RevokeTarget {
                ops: Ops {
                    client: ctx.client.with_key(c.sighting.key.clone()),
                    after: None,
                    self_revoke: true,
                    ..ctx.ops.clone()
                },
                id: ApiKeyId(c.id()),
                name: c
                    .itself
                    .as_ref()
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                scopes_before: c.itself.as_ref().map(|d| scopes::sendable(&d.scopes)),
            },
        })
        .collect();
    let stop = tokio_util::sync::CancellationToken::new();
    let watcher = tokio::spawn(crate::cli::signals::interrupt_watcher(stop.clone()));
    // a report's many keys: progress with an ETA on a terminal
    let bar = crate::output::LazyProgress::new("revoking");
    let tick = |done: usize, total: usize| bar.update(done, total);
    let outcomes = crate::ops::revoke_many(&targets, ctx.settings.concurrency, &stop, &tick).await;
    bar.finish();
    for (c, done) in cases.iter().zip(&outcomes) {
        let id = c.id();
        let Some(d) = done else {
            crate::errln!("NOT SENT {id}: interrupted before it was sent");
            continue;
        };
        warn_journal(d);
        match (&d.result, d.outcome) {
            (Ok(Effect::AlreadyGone), _) => {
                crate::errln!("already revoked {id} (SendGrid answered 404)")
            }
            (Ok(_), _) => crate::errln!("revoked {id}"),
            (Err(_), Outcome::Unknown) => crate::errln!(
                "UNKNOWN whether {id} was revoked: {}",
                d.describe_error().unwrap_or_default()
            ),
            (Err(_), _) => crate::errln!("FAILED {id}: {}", d.describe_error().unwrap_or_default()),
        }
    }
    // every key whose revoke went out and did not clearly fail: the key itself tells
    let asked: Vec<usize> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d.as_ref()
                .is_some_and(|d| d.result.is_ok() || d.outcome == Outcome::Unknown)
        })
        .map(|(i, _)| i)
        .collect();
    let keys: Vec<&Secret> = asked.iter().map(|&i| &cases[i].sighting.key).collect();
    let timeout = Duration::from_secs_f64(args.verify_timeout);
    let one_id = (keys.len() == 1).then(|| cases[asked[0]].id());
    let progress = |round: u32, t: Duration, works: usize, unclear: usize| {
        let who = match (&one_id, works, unclear) {
            (Some(id), 1, _) => format!("{id} still authenticates"),
            (Some(id), _, _) => format!("{id} is not proven dead yet"),
            (None, w, 0) => format!("{w} still authenticate"),
            (None, w, u) => format!("{w} still authenticate, {u} not proven dead yet"),
        };
        if round == 1 {
            crate::errln!(
                "  {who} (SendGrid applies a revoke after a short delay); asking again until \
                 refused…"
            );
        } else if round.is_multiple_of(5) {
            crate::errln!("  {who} after {}…", leak::seconds(t));
        }
    };
    let proofs = if keys.is_empty() {
        Some(Vec::new())
    } else {
        tokio::select! {
            p = leak::verify_all(&ctx.client, &keys, timeout, ctx.settings.concurrency, &progress) => Some(p),
            () = stop.cancelled() => None,
        }
    };
    watcher.abort();
    let interrupted = stop.is_cancelled();
    if interrupted {
        crate::errln!("Interrupted: keys marked 'not sent' were not sent; the proof was stopped.");
    }
    let mut proofs: HashMap<usize, Verification> = match proofs {
        Some(p) => asked.iter().copied().zip(p).collect(),
        None => asked
            .iter()
            .map(|&i| {
                let v = Verification {
                    unclear: Some("interrupted before it was proven dead".into()),
                    ..Default::default()
                };
                (i, v)
            })
            .collect(),
    };
    let mut out = Vec::with_capacity(cases.len());
    for (i, (c, done)) in cases.iter().zip(outcomes).enumerate() {
        let proof = proofs.remove(&i);
        if let (Some(v), Some(d)) = (&proof, &done) {
            let id = c.id();
            if v.dead {
                crate::errln!("{}: SendGrid refuses {id}", v.describe());
            } else {
                crate::errln!(
                    "{}: {id} is not proven dead. Escalate: revoke it in SendGrid's App and \
                     contact SendGrid support",
                    v.describe()
                );
            }
            // an unclear end is no proof either way: nothing to record
            if v.unclear.is_none()
                && let Some(e) =
                    targets[i]
                        .ops
                        .record_verification(d, v.dead, v.after.as_millis() as u64)
            {
                crate::errln!("sgkeys: warning: the verification could not be journaled: {e}");
            }
        }
        out.push(Settled { done, proof });
    }
    (out, interrupted)
}
