//! `audit --since TIME` answered from the inventory: each context's baseline (its last complete
//! list read before the time) and what changed after it; and how a time is given on the command
//! line (`2h` ago or an RFC 3339 time).

use std::time::SystemTime;

use super::CliError;
use crate::inventory::{self, rfc3339};

/// A time given as a duration ago (`2h`, `30m`, `1d`) or an RFC 3339 time.
pub(crate) fn parse_when(s: &str) -> Option<SystemTime> {
    match humantime::parse_duration(s.trim()) {
        Ok(d) => Some(
            SystemTime::now()
                .checked_sub(d)
                .unwrap_or(SystemTime::UNIX_EPOCH),
        ),
        Err(_) => humantime::parse_rfc3339_weak(s.trim()).ok(),
    }
}

/// [`SystemTime`] in inventory milliseconds.
pub(crate) fn millis(t: SystemTime) -> inventory::Millis {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as inventory::Millis)
}

/// What `--since` answered: the changes, and for the inventory form each context's baseline.
pub(crate) struct SinceAnswer {
    pub changes: crate::audit::Changes,
    /// `None` for the file form (its JSON stays `{"changes": …}`).
    pub baselines: Option<Vec<Baseline>>,
    /// What "since" means in the text, when not simply the earlier report's time.
    pub heading: Option<String>,
}

impl SinceAnswer {
    pub(crate) fn file(changes: crate::audit::Changes) -> Self {
        SinceAnswer {
            changes,
            baselines: None,
            heading: None,
        }
    }
}

/// One context's baseline for `audit --since TIME`: the last complete list read at or before
/// the time (`None`: there is none, so keys first seen since cannot be told from keys that
/// were always there).
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Baseline {
    pub context: Option<String>,
    pub complete_read_at: Option<String>,
}

/// The on-behalf-of value of an audit context (`acme` or `account-id 12`), as recorded.
fn header_of(context: &Option<String>) -> Option<String> {
    context.as_deref().map(|s| {
        crate::api::OnBehalfOf::parse(s)
            .map(|o| o.header_value())
            .unwrap_or_else(|_| s.to_owned())
    })
}

/// What changed in `contexts` of `scope` since `t`, from the inventory: keys first seen after
/// `t` (only where a complete list read at or before `t` is the baseline), keys gone after `t`,
/// renames and scope changes observed after `t`. Each context's baseline is said on stderr.
pub(crate) fn changes_since(
    reader: &inventory::Reader,
    scope: &inventory::Scope,
    contexts: &[Option<String>],
    t: inventory::Millis,
) -> Result<SinceAnswer, CliError> {
    use crate::audit::{Changes, KeyRef, Renamed, ScopeChange};
    let failed = |e: inventory::InventoryError| CliError::Failed(e.to_string());
    let type_of = |scopes: Option<&[String]>| match scopes {
        Some(s) => crate::scopes::classify(s).key_type.badge().to_lowercase(),
        None => "unknown".to_owned(),
    };
    let mut changes = Changes {
        old_generated_at: Some(rfc3339(t)),
        ..Default::default()
    };
    let key_ref = |context: &Option<String>, k: inventory::KeyRow| KeyRef {
        context: context.clone(),
        key_type: type_of(k.scopes.as_deref()),
        api_key_id: k.key_id,
        name: k.name,
    };
    let mut baselines = Vec::new();
    for context in contexts {
        let label = context.as_deref().unwrap_or("the account");
        let Some(row) = reader
            .context(&scope.place(header_of(context)))
            .map_err(failed)?
        else {
            crate::errln!("No baseline for {label}: the inventory never read it before.");
            baselines.push(Baseline {
                context: context.clone(),
                complete_read_at: None,
            });
            continue;
        };
        let base = reader.complete_read_before(row.id, t).map_err(failed)?;
        baselines.push(Baseline {
            context: context.clone(),
            complete_read_at: base.map(rfc3339),
        });
        match base {
            Some(b) => {
                let gap = match inventory::ago(b, t).as_str() {
                    "just now" => "at".to_owned(),
                    a => format!("{} before", a.trim_end_matches(" ago")),
                };
                crate::errln!(
                    "Baseline for {label}: its complete list read of {} ({gap} {}).",
                    rfc3339(b),
                    rfc3339(t)
                );
                for k in reader.first_seen_after(row.id, t).map_err(failed)? {
                    changes.added.push(key_ref(context, k));
                }
            }
            None => {
                let first = reader.first_complete_read(row.id).map_err(failed)?;
                crate::errln!(
                    "No baseline for {label}: no complete list read of it from before {}{}; keys \
                     that appeared since cannot be told from keys that were always there.",
                    rfc3339(t),
                    first
                        .map(|f| format!(" (the first was {})", rfc3339(f)))
                        .unwrap_or_default()
                );
            }
        }
        for k in reader.gone_after(row.id, t).map_err(failed)? {
            changes.removed.push(key_ref(context, k));
        }
        let events = reader
            .events(&inventory::EventFilter {
                since: Some(t),
                context: Some(row.id),
                ..Default::default()
            })
            .map_err(failed)?;
        for e in events {
            match e.kind.as_str() {
                "renamed" => changes.renamed.push(Renamed {
                    context: context.clone(),
                    api_key_id: e.key_id,
                    from: e.name_before.unwrap_or_default(),
                    to: e.name.unwrap_or_default(),
                }),
                "scopes" => {
                    let before: std::collections::BTreeSet<String> = e
                        .scopes_before
                        .clone()
                        .unwrap_or_default()
                        .into_iter()
                        .collect();
                    let after: std::collections::BTreeSet<String> =
                        e.scopes.clone().unwrap_or_default().into_iter().collect();
                    let (from, to) = (
                        type_of(e.scopes_before.as_deref()),
                        type_of(e.scopes.as_deref()),
                    );
                    let (type_from, type_to) = if from == to {
                        (None, None)
                    } else {
                        (Some(from), Some(to))
                    };
                    changes.scopes_changed.push(ScopeChange {
                        context: context.clone(),
                        api_key_id: e.key_id,
                        name: e.name.unwrap_or_default(),
                        added: after.difference(&before).cloned().collect(),
                        removed: before.difference(&after).cloned().collect(),
                        type_from,
                        type_to,
                    });
                }
                _ => {}
            }
        }
    }
    let missing: Vec<&str> = baselines
        .iter()
        .filter(|b| b.complete_read_at.is_none())
        .map(|b| b.context.as_deref().unwrap_or("the account"))
        .collect();
    // "No changes since T" must not claim what nobody could see
    let heading = (!missing.is_empty()).then(|| {
        format!(
            "{}, where there is a baseline (none for {}: keys that appeared there cannot be \
             told)",
            rfc3339(t),
            missing.join(", ")
        )
    });
    Ok(SinceAnswer {
        changes,
        baselines: Some(baselines),
        heading,
    })
}
