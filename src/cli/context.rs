//! What every command shares: the context (settings, client, journal, operations layer), id
//! and name checks, and how a mutation's outcome is said.

use serde_json::json;

use super::CliError;
use crate::api::{ApiError, ApiKey, ApiKeyId, Client, ClientOptions, KeyDetail};
use crate::config::{self, Settings};
use crate::journal::{Journal, Outcome};
use crate::ops::{Done, Mutation, Ops};
use crate::output::{self, clean};
use crate::report::KeyReport;
use crate::secret;
use crate::text::plural;

/// What every API command needs.
pub(crate) struct Ctx {
    pub settings: Settings,
    pub client: Client,
    pub json: bool,
    pub journal: Journal,
    /// Every mutation goes through here (journal, send, classify, read back).
    pub ops: Ops,
    /// What the command reads and writes is recorded here (none: `--no-inventory`, or it
    /// could not be opened: then a warning said so and the command goes on).
    pub inventory: Option<super::kept::Kept>,
    /// `--max-age`: how old an answer a sweep may take from the inventory.
    pub max_age: Option<std::time::Duration>,
}

impl Ctx {
    pub fn new(global: &super::Global) -> Result<Self, CliError> {
        let settings = config::resolve(&global.overrides())?;
        let key = settings.api_key()?;
        let on_behalf_of = settings.on_behalf_of.clone();
        let client = client_for(
            &settings,
            key,
            ClientOptions {
                on_behalf_of,
                ..Default::default()
            },
        )?;
        let journal = Journal::new(settings.journal.clone());
        let mut ops = Ops::new(client.clone(), Some(journal.clone()), "cli");
        ops.read_only = settings.read_only;
        let inventory = super::kept::Kept::open(
            settings.inventory.as_deref(),
            &settings.base_url,
            client.caller_key_id(),
        );
        ops.after = inventory
            .as_ref()
            .map(|k| crate::seen::after_write(k.rec.clone()));
        Ok(Ctx {
            settings,
            client,
            json: global.json,
            journal,
            ops,
            inventory,
            max_age: global.max_age,
        })
    }

    /// The recorder, when an inventory is kept.
    pub(crate) fn recorder(&self) -> Option<&crate::inventory::Recorder> {
        self.inventory.as_ref().map(|k| &k.rec)
    }

    /// `GET /v3/api_keys` in this context, recorded (complete when asked without a limit).
    pub(crate) async fn list_keys(&self, limit: Option<u32>) -> Result<Vec<ApiKey>, ApiError> {
        let answer = self.client.list_keys(limit).await;
        if let Some(r) = self.recorder() {
            let place = crate::seen::place(r, &self.client);
            crate::seen::list(r, &place, &answer, limit.is_none(), None);
        }
        answer
    }

    /// `GET /v3/api_keys/{id}` in this context, recorded.
    pub(crate) async fn get_key(&self, id: &ApiKeyId) -> Result<KeyDetail, ApiError> {
        let answer = self.client.get_key(id).await;
        if let Some(r) = self.recorder() {
            crate::seen::detail(
                r,
                &crate::seen::place(r, &self.client),
                id.as_str(),
                &answer,
            );
        }
        answer
    }

    /// Write what was recorded and say what could not be (at the end of a command).
    pub(crate) fn close_inventory(&mut self) {
        if let Some(k) = self.inventory.take() {
            k.close();
        }
    }

    /// Acting for a subuser: send its calls to its region's host (an EU subuser's to the EU
    /// host), as SendGrid requires (else 451). Its region is asked once; when that fails the
    /// configured host is kept and SendGrid's answer will say.
    pub(crate) async fn follow_region(&mut self) {
        let Some(crate::api::OnBehalfOf::Subuser(name)) = self.client.on_behalf_of().cloned()
        else {
            return;
        };
        if let Ok(Some(region)) = self.client.subuser_region(&name).await {
            self.client = self.client.clone().in_region(Some(region));
            self.ops.client = self.client.clone();
        }
    }

    pub(crate) fn refuse_if_read_only(&self, what: &str) -> Result<(), CliError> {
        if self.settings.read_only {
            return Err(CliError::api(
                what.to_owned(),
                ApiError::ReadOnly(what.to_owned()),
            ));
        }
        Ok(())
    }
}

/// The API client `settings` name (host, EU host, CA, concurrency, timeout), with `extra`'s
/// other options (on-behalf-of, an observer); the create budget is remembered across runs.
pub(crate) fn client_for(
    settings: &Settings,
    key: crate::secret::Secret,
    extra: ClientOptions,
) -> Result<Client, CliError> {
    let client = Client::new(
        key,
        ClientOptions {
            base_url: settings.base_url.clone(),
            eu_base_url: settings.eu_base_url.clone(),
            ca_cert_pem: settings.ca_cert_pem.clone(),
            concurrency: settings.concurrency,
            timeout: settings.timeout,
            ..extra
        },
    )
    .map_err(|e| CliError::api("setting up the client", e))?;
    client.remember_creates_in(config::state_dir().join("create-budget.json"));
    Ok(client)
}

/// Say on stderr when the outcome of a mutation could not be journaled (the outcome itself is
/// still reported: it is true, only the record is incomplete).
/// Also says how the server's answer differs from the request (another name, other scopes).
pub(crate) fn warn_journal(done: &Done) {
    for w in &done.differs {
        crate::errln!("sgkeys: warning: {w}");
    }
    if let Some(e) = &done.journal_error {
        crate::errln!(
            "sgkeys: warning: the outcome above could not be recorded in the journal ({e}); \
             the journal shows this change as unknown"
        );
    }
}

/// The error for a mutation that did not succeed: a refusal, a failure confirmed by reading
/// back, or an outcome nobody can tell (said in capitals: never reported as success).
pub(crate) fn mutation_error(context: String, done: Done) -> CliError {
    let note = done.note.clone();
    let unknown = done.outcome == Outcome::Unknown;
    let Err(e) = done.result else {
        return CliError::Failed(format!("{context}: internal: no error"));
    };
    match (unknown, note) {
        (true, Some(n)) => CliError::Failed(format!("{context}: OUTCOME UNKNOWN: {e}; {n}")),
        (true, None) => CliError::Failed(format!("{context}: OUTCOME UNKNOWN: {e}")),
        (false, Some(n)) => CliError::Failed(format!("{context}: {e}; {n}")),
        (false, None) => CliError::api(context, e),
    }
}

/// `--dry-run`: print the exact request a mutation would send (method, URL, `on-behalf-of`,
/// body; never the key) and send nothing.
pub(crate) fn print_dry_run(ctx: &Ctx, m: &Mutation) -> Result<u8, CliError> {
    print_dry_run_as(ctx, &ctx.client, m)
}

/// [`print_dry_run`] for a request sent with `client` (another context than `ctx`'s).
pub(crate) fn print_dry_run_as(ctx: &Ctx, client: &Client, m: &Mutation) -> Result<u8, CliError> {
    let plan = m
        .plan(client)
        .map_err(|e| CliError::api(format!("planning the {}", m.verb()), e))?;
    if ctx.json {
        output::print_json(&json!({ "dry_run": true, "request": plan })).map_err(io)?;
        return Ok(0);
    }
    crate::errln!("Dry run: nothing was sent. The {} would send:", m.verb());
    crate::outln!("{} {}", plan.method, plan.url);
    if let Some(obo) = &plan.on_behalf_of {
        crate::outln!("on-behalf-of: {obo}");
    }
    if let Some(body) = &plan.body {
        crate::outln!("Content-Type: application/json\n");
        crate::outln!("{}", output::json_text(body).map_err(io)?);
    }
    Ok(0)
}

/// A created key whose secret is not SendGrid-shaped (`SG.` + 22 + `.` + 43 characters), or
/// whose middle part is not the id the answer gave, is said, not silently accepted: a mock
/// (Prism answers `SG.xxxxxxxx.yyyyyyyy`) or a proxy that rewrote it. Never says the value.
pub(crate) fn created_shape_warning(created: &crate::api::CreatedKey) -> Option<String> {
    match created.api_key.key_id() {
        None => Some(format!(
            "the server's answer for {} carries an api_key that is not shaped like a SendGrid \
             key (SG. + 22 + . + 43 characters, 69 in all): it may not work; test it before \
             relying on it",
            created.api_key_id
        )),
        Some(id) if id != created.api_key_id.as_str() => Some(format!(
            "the server's answer for {} carries an api_key whose id part is another key's: \
             it may not be this key's secret",
            created.api_key_id
        )),
        Some(_) => None,
    }
}

pub(crate) fn check_id(id: &str) -> Result<ApiKeyId, CliError> {
    let id = id.trim();
    if secret::looks_like_key(id) || secret::contains_key_material(id) {
        // Never echo it: the argument carries (part of) a secret.
        return Err(CliError::Usage(
            "that argument looks like an API key (or part of one), not an id; it is not shown. \
             For a leaked key use `sgkeys revoke --leaked` (reads it from stdin), or pass only the \
             22-character id"
                .into(),
        ));
    }
    if id.is_empty()
        || id.len() > 100
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CliError::Usage(format!(
            "'{}' is not a key id (ids are 22 characters of A-Z a-z 0-9 - _)",
            clean(&output_clip(id))
        )));
    }
    Ok(ApiKeyId(id.to_owned()))
}

pub(crate) fn output_clip(s: &str) -> String {
    crate::api::error::clip(s, 40)
}

/// Validate a key name the way the dashboard's form does.
pub(crate) fn check_name(name: &str) -> Result<String, CliError> {
    crate::api::models::validate_key_name(name).map_err(CliError::Usage)
}

pub(crate) fn io(e: std::io::Error) -> CliError {
    CliError::Io(e.to_string())
}

/// Fetch details of many keys concurrently (bounded by the client's gate), with progress;
/// each answer is recorded in the inventory as it arrives.
pub(crate) async fn fetch_details(
    ctx: &Ctx,
    ids: &[ApiKeyId],
    label: &str,
) -> Vec<Result<KeyDetail, ApiError>> {
    let sweep = crate::resume::Sweep::recorded(ctx.recorder().cloned());
    fetch_details_in(ctx, &sweep, ids, label).await
}

/// [`fetch_details`] as part of `sweep` (what the inventory answers is taken from it).
pub(crate) async fn fetch_details_in(
    ctx: &Ctx,
    sweep: &crate::resume::Sweep,
    ids: &[ApiKeyId],
    label: &str,
) -> Vec<Result<KeyDetail, ApiError>> {
    let progress = crate::output::LazyProgress::new(label);
    let tick = |done: usize, total: usize| progress.update(done, total);
    let own = ctx
        .client
        .on_behalf_of()
        .map(crate::api::OnBehalfOf::header_value);
    let jobs: Vec<_> = ids
        .iter()
        .map(|id| (ctx.client.clone(), own.clone(), id.clone()))
        .collect();
    let results = crate::resume::details(sweep, &jobs, &tick).await;
    progress.finish();
    results
}

/// A new key and its secret, shown once: on stdout alone (so it can be piped), or in JSON.
pub(crate) fn print_created(
    ctx: &Ctx,
    created: &crate::api::CreatedKey,
    replaces: Option<&ApiKeyId>,
) -> Result<(), CliError> {
    let report = KeyReport::new(&KeyDetail {
        api_key_id: created.api_key_id.clone(),
        name: created.name.clone(),
        scopes: created.scopes.clone(),
    });
    let shape_warning = created_shape_warning(created);
    if let Some(w) = &shape_warning {
        crate::errln!("sgkeys: warning: {w}");
    }
    if ctx.json {
        let mut v = json!({
            "api_key_id": report.api_key_id,
            "name": report.name,
            "type": report.key_type,
            "scopes": report.scopes,
            "api_key": created.api_key.expose(),
        });
        if let Some(r) = replaces {
            v["replaces"] = json!(r);
        }
        if let Some(w) = &shape_warning {
            v["warning"] = json!(w);
        }
        output::print_json(&v).map_err(io)?;
    } else {
        let what = if replaces.is_some() {
            "Recreated"
        } else {
            "Created"
        };
        let also = replaces
            .map(|r| format!(" (replaces revoked {r})"))
            .unwrap_or_default();
        crate::errln!(
            "{what} '{}' ({}), {} with {}{also}.",
            clean(&report.name),
            report.api_key_id,
            report.key_type.label(),
            plural(report.scopes.len(), "scope", "scopes")
        );
        crate::errln!("The secret below is shown only this once; store it now:");
        crate::outln!("{}", created.api_key.expose());
    }
    Ok(())
}
