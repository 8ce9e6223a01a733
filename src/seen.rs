//! What sgkeys sees, for the inventory: API answers and the outcomes of its own writes turned
//! into [`crate::inventory`] records. The inventory sits on the ground floor and knows no API
//! type; this is where the two meet (the CLI, the worker and the operations layer's
//! [`AfterWrite`] hook call here).
//!
//! Only what an answer proves is recorded: a list read asked without a limit is complete (a
//! key it lacks is gone); a 404 says a key is not in that context; any other failure says
//! nothing about the keys; a write changes the inventory only when its outcome is known ok.

use std::sync::Arc;

use crate::api::{ApiError, ApiKey, Client, KeyDetail};
use crate::inventory::{Place, Recorder, Source};
use crate::ops::{AfterWrite, Done, Effect, Mutation};

/// The context `client` acts in.
pub fn place(rec: &Recorder, client: &Client) -> Place {
    rec.scope().place(
        client
            .on_behalf_of()
            .map(crate::api::OnBehalfOf::header_value),
    )
}

/// A list read's answer in `place` (`complete`: asked without a limit), part of `sweep`.
pub fn list(
    rec: &Recorder,
    place: &Place,
    answer: &Result<Vec<ApiKey>, ApiError>,
    complete: bool,
    sweep: Option<i64>,
) {
    match answer {
        Ok(keys) => rec.list(
            place,
            keys.iter()
                .map(|k| (k.api_key_id.0.clone(), k.name.clone()))
                .collect(),
            complete,
            sweep,
        ),
        // stopped by sgkeys itself: not an answer
        Err(ApiError::Cancelled) => {}
        Err(e) => rec.list_failed(place, e.short()),
    }
}

/// A key read's answer in `place`: its name and scopes, or 404 (not there).
pub fn detail(rec: &Recorder, place: &Place, id: &str, answer: &Result<KeyDetail, ApiError>) {
    match answer {
        Ok(d) => rec.detail(
            place,
            d.api_key_id.as_str(),
            &d.name,
            &d.scopes,
            Source::Detail,
        ),
        // SendGrid's own 404 only: a gateway's page says nothing about the key
        Err(e) if e.gone_by_sendgrid() => rec.not_found(place, id),
        Err(_) => {}
    }
}

/// What one of sgkeys' writes did, in the context of `client`: a created key, a new name, new
/// scopes, a revoke SendGrid confirmed (gone everywhere), a 404 (gone from that context).
pub fn write(rec: &Recorder, client: &Client, m: &Mutation, done: &Done) {
    let place = place(rec, client);
    match (&done.result, m) {
        (Ok(Effect::Created(k)), _) => rec.detail(
            &place,
            k.api_key_id.as_str(),
            &k.name,
            &k.scopes,
            Source::Create,
        ),
        (Ok(Effect::Renamed(k)), _) => rec.renamed(&place, k.api_key_id.as_str(), &k.name),
        (Ok(Effect::Updated(d)), _) => rec.detail(
            &place,
            d.api_key_id.as_str(),
            &d.name,
            &d.scopes,
            Source::SetScopes,
        ),
        (Ok(Effect::Revoked), Mutation::Revoke { id, .. }) => rec.revoked(&place, id.as_str()),
        (Ok(Effect::AlreadyGone), Mutation::Revoke { id, .. }) => {
            rec.not_found(&place, id.as_str());
        }
        _ => {}
    }
}

/// The operations layer's hook that records every write in the inventory.
pub fn after_write(rec: Recorder) -> AfterWrite {
    AfterWrite(Arc::new(move |client, m, done| {
        write(&rec, client, m, done)
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::api::{ApiKeyId, ClientOptions};
    use crate::inventory::{Inventory, Scope};

    #[test]
    fn only_what_an_answer_proves_is_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let inv = Inventory::open(&dir.path().join("i.sqlite")).unwrap();
        let rec = inv.recorder(Scope {
            base_url: "https://api.sendgrid.com".into(),
            account: "key:me".into(),
        });
        let key =
            crate::secret::Secret::parse(&format!("SG.{}.{}", "A".repeat(22), "b".repeat(43)))
                .unwrap();
        let client = Client::new(key, ClientOptions::default()).unwrap();
        let own = place(&rec, &client);
        let k = |id: &str| ApiKey {
            api_key_id: ApiKeyId(id.into()),
            name: id.into(),
        };
        list(&rec, &own, &Ok(vec![k("a"), k("b"), k("c")]), true, None);
        // neither a cancelled nor a failed read, nor a failed key read, proves anything
        list(&rec, &own, &Err(ApiError::Cancelled), true, None);
        detail(&rec, &own, "a", &Err(ApiError::Network("down".into())));
        // nor a gateway's HTML 404 page in front of a key's read
        let page = b"<html><title>404 Not Found</title></html>";
        detail(
            &rec,
            &own,
            "c",
            &Err(ApiError::from_status(404, page, None)),
        );
        let revoke = |id: &str| Mutation::Revoke {
            id: ApiKeyId(id.into()),
            name: id.into(),
            scopes_before: None,
        };
        // a revoke that failed changes nothing; one that was confirmed does
        write(
            &rec,
            &client,
            &revoke("a"),
            &Done::err(ApiError::Network("down".into())),
        );
        let hook = after_write(rec.clone());
        (hook.0)(&client, &revoke("b"), &Done::ok(Effect::Revoked));
        detail(
            &rec,
            &own,
            "a",
            &Err(ApiError::from_status(
                404,
                br#"{"errors":[{"field":null,"message":"unable to find API Key"}]}"#,
                None,
            )),
        );
        assert!(rec.flush(std::time::Duration::from_secs(10)));
        let r = inv.reader().unwrap();
        let a = r.key(&own, "a").unwrap().unwrap();
        assert_eq!(a.gone_how.as_deref(), Some("not_found"));
        let b = r.key(&own, "b").unwrap().unwrap();
        assert_eq!(b.gone_how.as_deref(), Some("revoked"));
        let c = r.key(&own, "c").unwrap().unwrap();
        assert_eq!(c.gone_how, None, "behind a gateway's 404, not gone");
        let ctx = r.context(&own).unwrap().unwrap();
        assert!(
            ctx.list_error.is_none(),
            "a cancelled read is not a failure"
        );
    }
}
