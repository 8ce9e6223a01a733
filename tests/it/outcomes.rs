//! Every outcome sgkeys reports is true: the real binary against a hostile stand-in for
//! SendGrid (redirects, HTML 200s, lost answers, silence, an exhausted rate limit) and against
//! the simulator for interrupted bulk revokes. Each case checks what was printed, the exit code,
//! what the server received, and what the journal says.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::simulator::start;
use crate::hostile::keys::{html_404, sendgrid_404 as gone};
use crate::hostile::{Hostile, Reply, Seen, fake_key, id_of, key_json, list_json};
use serde_json::json;
use sgkeys::journal::{Journal, Outcome};

mod answers;
mod deadlines;
mod journaled;
mod revokes;

/// The binary, pointed at `url` with `key`, journaling into `dir`.
fn cmd(dir: &Path, url: &str, key: &str, args: &[&str]) -> Command {
    crate::common::env::bin_at(dir, url, key, args)
}

struct Run {
    code: i32,
    out: String,
    err: String,
    took: Duration,
}

async fn run(dir: &Path, url: &str, key: &str, args: &[&str]) -> Run {
    let mut c = cmd(dir, url, key, args);
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    };
    assert!(
        !r.out.contains(&key[26..]) && !r.err.contains(&key[26..]),
        "the caller's key was printed"
    );
    r
}

/// `revoke ID --yes --json` against `server` as the caller, in a fresh directory: the
/// directory (its journal), the run, and what it printed as JSON.
async fn revoke_json(server: &Hostile, id: &str) -> (tempfile::TempDir, Run, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let args = ["revoke", id, "--yes", "--json"];
    let r = run(dir.path(), &server.url(), &caller(), &args).await;
    let v = serde_json::from_str(&r.out).unwrap_or_else(|e| panic!("{e}: {}{}", r.out, r.err));
    (dir, r, v)
}

fn journal(dir: &Path) -> Vec<sgkeys::journal::Entry> {
    Journal::new(dir.join("journal.jsonl")).read_all().unwrap()
}

fn caller() -> String {
    fake_key(1)
}

/// A SendGrid whose DELETE answers `delete`, and whose GET of the key answers `get`.
/// Before any DELETE, the GET shows the key (sgkeys reads it before revoking).
async fn origin(
    victim: &str,
    delete: impl Fn() -> Reply + Send + Sync + 'static,
    get: impl Fn() -> Reply + Send + Sync + 'static,
) -> Hostile {
    let v = victim.to_owned();
    let deleted = std::sync::atomic::AtomicBool::new(false);
    Hostile::start(move |r: &Seen| {
        let one = format!("/v3/api_keys/{v}");
        match (r.method.as_str(), r.path.as_str()) {
            ("DELETE", p) if p == one => {
                deleted.store(true, std::sync::atomic::Ordering::SeqCst);
                delete()
            }
            ("GET", p) if p == one && !deleted.load(std::sync::atomic::Ordering::SeqCst) => {
                Reply::json(200, key_json(&v, "leaky", &["mail.send"]))
            }
            ("GET", p) if p == one => get(),
            ("GET", p) if p.starts_with("/v3/api_keys") => {
                Reply::json(200, list_json(&[(&v, "leaky"), (&id_of(&caller()), "me")]))
            }
            _ => Reply::json(
                404,
                json!({"errors":[{"field":null,"message":"not found"}]}),
            ),
        }
    })
    .await
}

fn still_there(victim: &str) -> impl Fn() -> Reply + Send + Sync + 'static {
    let v = victim.to_owned();
    move || Reply::json(200, key_json(&v, "leaky", &["mail.send"]))
}

/// How the stand-in of [`bent`] bends its answers.
#[derive(Clone, Default)]
struct Bend {
    /// A key whose GET answers an HTML 500, always.
    broken: Option<String>,
    /// Answer creates and renames with this name, not the one asked.
    name: Option<String>,
    /// Answer creates and scope changes with these scopes, not the ones asked.
    scopes: Option<Vec<String>>,
}

/// A small SendGrid holding `keys` (id, name, scopes) whose answers are bent by `bend`; it
/// stores what it answers.
async fn bent(keys: Vec<(String, String, Vec<String>)>, bend: Bend) -> Hostile {
    let keys = Arc::new(Mutex::new(keys));
    let made = std::sync::atomic::AtomicU8::new(40);
    Hostile::start(move |r: &Seen| {
        let mut k = keys.lock().unwrap();
        let one = r.path.strip_prefix("/v3/api_keys/").map(str::to_owned);
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
        let asked = |f: &str| -> Vec<String> {
            body[f]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let name = bend
            .name
            .clone()
            .unwrap_or_else(|| body["name"].as_str().unwrap_or_default().to_owned());
        let scopes = bend.scopes.clone().unwrap_or_else(|| asked("scopes"));
        let missing = || {
            Reply::json(
                404,
                json!({"errors":[{"field":null,"message":"not found"}]}),
            )
        };
        match (r.method.as_str(), one) {
            ("GET", Some(id)) if bend.broken.as_deref() == Some(id.as_str()) => {
                Reply::html(500, "<html><title>500 Internal Server Error</title></html>")
            }
            ("GET", Some(id)) => match k.iter().find(|(i, _, _)| *i == id) {
                Some((i, n, s)) => {
                    let s: Vec<&str> = s.iter().map(String::as_str).collect();
                    Reply::json(200, key_json(i, n, &s))
                }
                None => missing(),
            },
            ("POST", _) => {
                let secret = fake_key(made.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
                let id = id_of(&secret);
                k.push((id.clone(), name.clone(), scopes.clone()));
                Reply::json(
                    201,
                    json!({"api_key": secret, "api_key_id": id, "name": name, "scopes": scopes}),
                )
            }
            ("PATCH", Some(id)) => match k.iter_mut().find(|(i, _, _)| *i == id) {
                Some(key) => {
                    key.1 = name.clone();
                    Reply::json(200, json!({"api_key_id": id, "name": name}))
                }
                None => missing(),
            },
            ("PUT", Some(id)) => match k.iter_mut().find(|(i, _, _)| *i == id) {
                Some(key) => {
                    key.2 = scopes.clone();
                    Reply::json(
                        200,
                        json!({"api_key_id": id, "name": key.1, "scopes": scopes}),
                    )
                }
                None => missing(),
            },
            ("DELETE", Some(id)) => {
                let before = k.len();
                k.retain(|(i, _, _)| *i != id);
                if k.len() < before {
                    Reply::empty(204)
                } else {
                    missing()
                }
            }
            _ => {
                let pairs: Vec<(&str, &str)> =
                    k.iter().map(|(i, n, _)| (i.as_str(), n.as_str())).collect();
                Reply::json(200, list_json(&pairs))
            }
        }
    })
    .await
}

fn own_key() -> (String, String, Vec<String>) {
    (
        id_of(&caller()),
        "me".into(),
        vec!["api_keys.read".into(), "api_keys.create".into()],
    )
}
