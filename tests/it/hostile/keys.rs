//! A small SendGrid account as a stand-in: keys listed, read, revoked (SendGrid's JSON 404 once
//! gone), some of them behind a gateway that answers their reads with its own HTML 404 page,
//! and revokes that can be made to take a while (each DELETE's arrival is recorded).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{Hostile, Reply, Seen, key_json, list_json};

/// SendGrid's own 404: its JSON error shape. The key is not there.
pub fn sendgrid_404() -> Reply {
    Reply::json(
        404,
        json!({"errors":[{"field":null,"message":"unable to find API Key"}]}),
    )
}

/// A gateway's (nginx's) 404 page: says nothing about the key.
pub fn html_404() -> Reply {
    Reply::html(
        404,
        "<html><head><title>404 Not Found</title></head><body><center>nginx</center></body></html>",
    )
}

/// The keys API over `keys` (id, name; each with `mail.send`) for every request but a create,
/// which the caller answers: a key's read (SendGrid's 404 once it is gone), a revoke, the list.
pub fn held(keys: &mut Vec<(String, String)>, r: &Seen) -> Reply {
    match (r.method.as_str(), r.path.strip_prefix("/v3/api_keys/")) {
        ("GET", Some(id)) => match keys.iter().find(|(i, _)| i == id) {
            Some((i, n)) => Reply::json(200, key_json(i, n, &["mail.send"])),
            None => sendgrid_404(),
        },
        ("DELETE", Some(id)) => {
            keys.retain(|(i, _)| i != id);
            Reply::empty(204)
        }
        _ => {
            let pairs: Vec<(&str, &str)> =
                keys.iter().map(|(i, n)| (i.as_str(), n.as_str())).collect();
            Reply::json(200, list_json(&pairs))
        }
    }
}

/// How the account of [`account`] behaves.
#[derive(Default)]
pub struct Account {
    /// (id, name) of every key; each has the scope `mail.send`.
    pub keys: Vec<(String, String)>,
    /// Keys whose reads (GET of the key) answer [`html_404`].
    pub behind_gateway: Vec<String>,
    /// Every DELETE is answered after this long.
    pub delete_takes: Option<Duration>,
}

/// The running account: the server, and when each DELETE arrived.
pub struct Served {
    pub server: Hostile,
    pub deletes: Arc<Mutex<Vec<Instant>>>,
}

impl Served {
    /// The most DELETEs that arrived within `window` of one another (those under way at once,
    /// when each takes longer than `window` to answer).
    pub fn most_deletes_within(&self, window: Duration) -> usize {
        let at = self.deletes.lock().unwrap().clone();
        at.iter()
            .map(|a| {
                at.iter()
                    .filter(|b| **b >= *a && b.duration_since(*a) < window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }
}

/// Serve `acct`: `GET /v3/api_keys` lists the keys there, `GET /v3/api_keys/ID` reads one
/// (SendGrid's 404 once revoked), `DELETE` revokes (204).
pub async fn account(acct: Account) -> Served {
    let keys = Mutex::new(acct.keys);
    let hidden: HashSet<String> = acct.behind_gateway.into_iter().collect();
    let delete_takes = acct.delete_takes;
    let deletes = Arc::new(Mutex::new(Vec::new()));
    let deletes_in = Arc::clone(&deletes);
    let server = Hostile::start(move |r: &Seen| {
        let mut k = keys.lock().unwrap();
        let one = r.path.strip_prefix("/v3/api_keys/").map(str::to_owned);
        match (r.method.as_str(), one) {
            ("GET", Some(id)) if hidden.contains(&id) => html_404(),
            ("GET", Some(id)) => match k.iter().find(|(i, _)| *i == id) {
                Some((i, n)) => Reply::json(200, key_json(i, n, &["mail.send"])),
                None => sendgrid_404(),
            },
            ("DELETE", Some(id)) => {
                deletes_in.lock().unwrap().push(Instant::now());
                let there = k.iter().any(|(i, _)| *i == id);
                k.retain(|(i, _)| *i != id);
                let reply = if there {
                    Reply::empty(204)
                } else {
                    sendgrid_404()
                };
                match delete_takes {
                    Some(d) => Reply::Slow(d, Box::new(reply)),
                    None => reply,
                }
            }
            ("GET", None) if r.path.starts_with("/v3/api_keys") => {
                let pairs: Vec<(&str, &str)> =
                    k.iter().map(|(i, n)| (i.as_str(), n.as_str())).collect();
                Reply::json(200, list_json(&pairs))
            }
            ("GET", None) if r.path.starts_with("/v3/scopes") => Reply::json(
                200,
                json!({"scopes": ["api_keys.read", "api_keys.delete", "api_keys.create"]}),
            ),
            _ => Reply::json(
                404,
                json!({"errors":[{"field":null,"message":"not found"}]}),
            ),
        }
    })
    .await;
    Served { server, deletes }
}
