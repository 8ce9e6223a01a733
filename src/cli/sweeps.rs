//! Sweeps on the command line (`audit`, `list --scopes`, `export`): each answer recorded as it
//! arrives ([`crate::resume`]), an interrupted run of the same command resumed (what it was
//! answered within `--max-age`, default 10 min, is not asked again), `--max-age` to take any
//! recent answer, and Ctrl-C stopping at once with what was answered kept.

use super::CliError;
use super::context::Ctx;
use crate::api::{OnBehalfOf, Region};
use crate::inventory::{self, Millis, Reader, SweepRow, ago, now_ms};
use crate::resume::{Known, Sweep};
use crate::text::plural;

pub(crate) use crate::resume::DEFAULT_MAX_AGE;

/// A context of a sweep: its on-behalf-of value (`None`: the account itself) and region.
pub(crate) type SweepContext = (Option<String>, Option<Region>);

/// Where a sweep's answers may come from, found before it starts.
pub(crate) struct Start {
    kind: String,
    /// What the command is called in messages (`audit`, `list --scopes`).
    what: String,
    reader: Option<Reader>,
    /// The interrupted run being resumed.
    resumed: Option<SweepRow>,
    /// Its contexts, when resumed.
    resumed_contexts: Vec<SweepContext>,
    /// Answers at or after this are taken from the inventory.
    since: Option<Millis>,
}

/// The context `ctx`'s client acts in (its on-behalf-of value).
pub(crate) fn own_context(ctx: &Ctx) -> Option<String> {
    ctx.client.on_behalf_of().map(OnBehalfOf::header_value)
}

impl Start {
    /// Look for the last run of `kind` (named `what` in messages) over this account.
    pub(crate) fn find(ctx: &Ctx, kind: &str, what: &str) -> Start {
        let mut start = Start {
            kind: kind.to_owned(),
            what: what.to_owned(),
            reader: None,
            resumed: None,
            resumed_contexts: Vec::new(),
            since: None,
        };
        let Some(kept) = &ctx.inventory else {
            return start;
        };
        let reader = match kept.reader() {
            Ok(r) => r,
            Err(e) => {
                crate::errln!("sgkeys: warning: {e}; everything is asked");
                return start;
            }
        };
        let own = own_context(ctx);
        let scope = kept.rec.scope();
        match crate::resume::resumable(&reader, scope, kind, &own, ctx.max_age, now_ms()) {
            Ok(r) => {
                start.resumed_contexts = r.contexts;
                start.since = r.since;
                start.resumed = r.run;
            }
            Err(e) => {
                crate::errln!("sgkeys: warning: {e}; everything is asked");
                return start;
            }
        }
        start.reader = Some(reader);
        start
    }

    /// The subusers the resumed run covered (with their regions), so the subuser list is not
    /// asked again; `None` when nothing is resumed.
    pub(crate) fn subusers(&self, own: &Option<String>) -> Option<Vec<(String, Option<Region>)>> {
        self.resumed.as_ref()?;
        Some(
            self.resumed_contexts
                .iter()
                .filter(|(c, _)| c != own)
                .filter_map(|(c, r)| c.clone().map(|c| (c, *r)))
                .collect(),
        )
    }

    /// Start the sweep over `contexts`: what the inventory answers for them is loaded (and
    /// said on stderr), and the run is recorded with every context before any answer.
    pub(crate) fn begin(self, ctx: &Ctx, contexts: &[SweepContext]) -> Sweep {
        let mut known = Known::none();
        if let (Some(since), Some(reader), Some(kept)) = (self.since, &self.reader, &ctx.inventory)
        {
            let obos: Vec<Option<String>> = contexts.iter().map(|(c, _)| c.clone()).collect();
            match Known::load(reader, kept.rec.scope(), &obos, since) {
                Ok(k) => known = k,
                Err(e) => crate::errln!("sgkeys: warning: {e}; everything is asked"),
            }
        }
        if known.lists() + known.details() > 0 {
            let what = format!(
                "{} and {}",
                plural(known.lists(), "key list", "key lists"),
                plural(known.details(), "key read", "key reads")
            );
            let now = now_ms();
            match &self.resumed {
                Some(s) if ctx.max_age.is_none() => crate::errln!(
                    "Resuming the {} interrupted {}: {what} it was answered are taken from the \
                     inventory, not asked again (--max-age 0 asks everything).",
                    self.what,
                    ago(s.started_at, now).replace("just now", "moments ago")
                ),
                _ => crate::errln!(
                    "Taking {what} from the inventory (recorded since {}, within --max-age), not \
                     asked again.",
                    inventory::rfc3339(self.since.unwrap_or(now))
                ),
            }
        }
        let recording = ctx.recorder().map(|rec| {
            let id = rec.sweep_start(&self.kind);
            for (obo, region) in contexts {
                rec.sweep_context(
                    id,
                    &rec.scope().place(obo.clone()),
                    region.map(Region::as_str),
                );
            }
            (rec.clone(), id)
        });
        Sweep::new(known, recording)
    }
}

/// Record how the sweep ended: `finished` (every context and key answered) or `incomplete`.
pub(crate) fn end(sweep: &Sweep, complete: bool) {
    if let Some((rec, id)) = sweep.recording() {
        rec.sweep_end(id, if complete { "finished" } else { "incomplete" });
    }
}

/// The sweep was stopped by Ctrl-C: recorded as interrupted; the error says what was kept.
pub(crate) fn interrupted(ctx: &Ctx, sweep: &Sweep, what: &str) -> CliError {
    let received = plural(sweep.asked(), "answer", "answers");
    interrupted_run(
        ctx,
        sweep.recording(),
        what,
        &format!("the {received} received"),
    )
}

/// [`interrupted`] for a sweep run out of sight (the leaked-key search's, inside
/// [`crate::leak::locate_resuming`]): `recording` is where it was recorded, `kept` says what.
pub(crate) fn interrupted_run(
    ctx: &Ctx,
    recording: Option<(&inventory::Recorder, i64)>,
    what: &str,
    kept: &str,
) -> CliError {
    let kept = match recording {
        Some((rec, id)) => {
            rec.sweep_end(id, "interrupted");
            format!(
                "{kept} were recorded in the inventory: run the same command again within {} \
                 to ask only the rest",
                humantime::format_duration(ctx.max_age.unwrap_or(DEFAULT_MAX_AGE))
            )
        }
        None => "no inventory is kept, so nothing was recorded".into(),
    };
    CliError::Interrupted(format!("interrupted: the {what} was stopped; {kept}"))
}
