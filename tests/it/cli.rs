//! The real `sgkeys` binary against an in-process simulator over HTTP: exit codes, stable JSON,
//! journal contents, and that dry runs and read-only mode send no mutating request.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::env::{Env, array_len, rotation_events};
use crate::common::simulator::key_of;

mod bulk;
mod flags;
mod rotation;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn list_show_whoami_and_their_json() {
    let env = Env::new().await;
    let list = env.json(&["list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 45);
    assert!(list[0]["api_key_id"].is_string() && list[0]["name"].is_string());

    let full = env.json(&["list", "--scopes", "--json"]);
    let first = &full[0];
    for field in [
        "api_key_id",
        "name",
        "type",
        "scopes",
        "auto_assigned",
        "categories",
    ] {
        assert!(
            first.get(field).is_some(),
            "list --scopes --json lacks {field}"
        );
    }
    let (code, csv, _) = env.run(&["list", "--csv"]);
    assert_eq!(code, 0);
    assert!(csv.starts_with("api_key_id,name\n"));

    let id = env.id_named("webhooks: event consumer");
    let show = env.json(&["show", &id, "--json"]);
    assert_eq!(show["type"], "custom");
    assert!(
        show["auto_assigned"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "2fa_required")
    );
    assert!(
        !show["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "2fa_required")
    );
    let (code, text, _) = env.run(&["show", &id]);
    assert_eq!(code, 0);
    assert!(text.contains("Custom Access") && text.contains("Inbound Parse & Event Webhook"));

    let me = env.json(&["whoami", "--json"]);
    assert_eq!(me["type"], "full");
    assert_eq!(me["api_keys"]["create"], true);
    assert_eq!(me["key_id"], env.sim.admin_key().key_id().unwrap());

    let subs = env.json(&["subusers", "--json"]);
    assert_eq!(subs.as_array().unwrap().len(), 2);
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_for_usage_api_and_network_errors() {
    let env = Env::new().await;
    // usage: malformed id, missing access choice, unknown scope, bad name
    assert_eq!(env.run(&["show", "not an id!"]).0, 2);
    assert_eq!(env.run(&["create", "x"]).0, 2);
    assert_eq!(env.run(&["create", "x", "--scope", "nope.scope"]).0, 2);
    assert_eq!(env.run(&["create", &"x".repeat(101), "--full"]).0, 2);
    assert_eq!(env.run(&["frobnicate"]).0, 2);
    // API: unknown key
    let (code, _, err) = env.run(&["show", "AAAAAAAAAAAAAAAAAAAAAA"]);
    assert_eq!(code, 1);
    assert!(err.contains("404"), "{err}");
    // a malformed key is refused before any request, without echoing it
    let (code, _, err) = env.run_in(&["list"], "");
    assert_eq!(code, 0, "{err}");
    let out = env
        .cmd(&["list"])
        .env("SENDGRID_API_KEY", "SG.oops-this-is-not-a-key")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("69 characters") && !err.contains("oops-this"),
        "{err}"
    );
    // network: nothing listens there
    let out = env
        .cmd(&["list", "--json", "--timeout", "2"])
        .env("SGKEYS_BASE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "api");
    // unknown subuser: 401 with a hint
    let (code, _, err) = env.run(&["--on-behalf-of", "nobody", "list"]);
    assert_eq!(code, 1);
    assert!(err.contains("hint") && err.contains("nobody"), "{err}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn create_rename_set_scopes_revoke_are_journaled() {
    let env = Env::new().await;
    let created = env.json(&["create", "deploy bot", "--scope", "mail.send", "--json"]);
    let secret = created["api_key"].as_str().unwrap().to_owned();
    let id = created["api_key_id"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 69);
    assert_eq!(&secret[3..25], id);
    // human create prints the secret alone on stdout, the rest on stderr
    let (code, out, err) = env.run(&["create", "second", "--scope", "stats=read"]);
    assert_eq!(code, 0);
    assert!(out.trim().starts_with("SG.") && out.trim().len() == 69);
    assert!(err.contains("shown only this once"));

    let renamed = env.json(&["rename", &id, "deploy bot (prod)", "--json"]);
    assert_eq!(renamed["previous_name"], "deploy bot");
    let set = env.json(&["set-scopes", &id, "mail.send", "templates=read", "--json"]);
    assert_eq!(set["added"].as_array().unwrap().len(), 3);
    assert_eq!(set["removed"].as_array().unwrap().len(), 0);
    assert_eq!(key_of(&env.sim, &id).name, "deploy bot (prod)");

    let revoked = env.json(&["revoke", &id, "--yes", "--json"]);
    assert_eq!(revoked["results"][0]["status"], "revoked");
    assert!(!env.sim.keys(None).iter().any(|k| k.api_key_id.0 == id));

    let j = env.journal_entries();
    let actions: Vec<&str> = j.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec!["create", "create", "rename", "set_scopes", "revoke"]
    );
    assert_eq!(j[3]["scopes_before"], serde_json::json!(["mail.send"]));
    assert_eq!(j[4]["status"], 204);
    assert_eq!(j[4]["outcome"], "ok");
    // write-ahead: every mutation is an intent line, then its outcome line
    let lines = env.journal_lines();
    assert_eq!(lines.len(), 10);
    for pair in lines.chunks(2) {
        assert_eq!(pair[0]["phase"], "intent");
        assert_eq!(pair[1]["phase"], "outcome");
        assert_eq!(pair[0]["op"], pair[1]["op"]);
    }
    let text = std::fs::read_to_string(env.journal()).unwrap();
    assert!(
        !text.contains(&secret[26..]),
        "a created secret reached the journal"
    );
    // `sgkeys journal` shows it
    let shown = env.json(&["journal", "--json"]);
    assert_eq!(shown.as_array().unwrap().len(), 5);
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_needs_confirmation_and_dry_run_sends_nothing() {
    let env = Env::new().await;
    let id = env.id_named("tmp-debug");
    env.sim.reset_counters();
    let dry = env.json(&["revoke", &id, "--dry-run", "--json"]);
    assert_eq!(dry["results"][0]["status"], "would_revoke");
    assert_eq!(
        env.sim.mutating_requests(),
        0,
        "dry run sent a mutating request"
    );
    // not a TTY and no --yes: refused (exit 2), nothing sent
    let (code, _, err) = env.run_in(&["revoke", &id], "y\n");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--yes"));
    assert_eq!(env.sim.mutating_requests(), 0);
    // read-only: refused before the DELETE
    let (code, _, err) = env.run(&["--read-only", "revoke", &id, "--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("read-only"));
    let out = env
        .cmd(&["revoke", &id, "--yes"])
        .env("SGKEYS_READ_ONLY", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    for args in [
        vec!["create", "x", "--full"],
        vec!["rename", &id, "y"],
        vec!["set-scopes", &id, "mail.send"],
        vec!["recreate", &id],
    ] {
        let mut a = vec!["--read-only"];
        a.extend(args.iter().copied());
        assert_ne!(env.run(&a).0, 0, "{a:?} should be refused");
    }
    assert_eq!(
        env.sim.mutating_requests(),
        0,
        "read-only mode sent a mutating request"
    );
    assert!(env.sim.keys(None).iter().any(|k| k.api_key_id.0 == id));
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn leaked_key_revocation_known_unknown_and_malformed() {
    let env = Env::new().await;
    // a leaked key: mint one, then revoke it from its secret (stdin)
    let created = env.json(&["create", "leaky", "--scope", "mail.send", "--json"]);
    let secret = created["api_key"].as_str().unwrap().to_owned();
    let id = created["api_key_id"].as_str().unwrap().to_owned();
    let (code, out, err) = env.run_in(&["revoke", "--leaked", "--yes"], &format!("{secret}\n"));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("leaky") && err.contains("mail.send"),
        "shows name and scopes: {err}"
    );
    assert!(
        out.contains("revoked") && out.contains("confirmed dead"),
        "{out}"
    );
    assert!(
        !out.contains(&secret[26..]) && !err.contains(&secret[26..]),
        "the leaked secret was echoed"
    );
    assert!(!env.sim.keys(None).iter().any(|k| k.api_key_id.0 == id));
    // the same key again: the key itself says it is dead; nothing is sent, exit 0
    let before = env.sim.mutating_requests();
    let (code, _, err) = env.run_in(&["revoke", "--leaked", "--yes"], &secret);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("does not authenticate"), "{err}");
    assert_eq!(env.sim.mutating_requests(), before, "nothing sent");
    // malformed: exit 2, not echoed
    let (code, _, err) = env.run_in(&["revoke", "--leaked", "--yes"], "SG.not-a-key\n");
    assert_eq!(code, 2);
    assert!(err.contains("not a whole SendGrid key"), "{err}");
    assert!(!err.contains("not-a-key"), "{err}");
    // a subuser's key is found in the subuser, by default
    let sub = env
        .sim
        .add_key(Some("acme-eu-marketing"), "eu leak", &["mail.send"]);
    let (code, out, err) = env.run_in(&["revoke", "--leaked", "--yes", "--json"], sub.expose());
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["account"], "acme-eu-marketing");
    assert_eq!(v["verified"], true);
    assert!(
        env.sim
            .keys(Some("acme-eu-marketing"))
            .iter()
            .all(|k| k.name != "eu leak")
    );
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_formats_subusers_policy_and_since() {
    let env = Env::new().await;
    let dir = env.dir.path();
    let json = env.json(&["audit", "--format", "json"]);
    assert_eq!(json["keys"].as_array().unwrap().len(), 45);
    let leaked = json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "prod-mail-key (LEAKED?)")
        .unwrap();
    assert_eq!(leaked["risk"], "high");
    assert!(
        leaked["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "suspicious_name")
    );

    let (code, table, _) = env.run(&["audit"]);
    assert_eq!(code, 0);
    assert!(table.contains("45 keys:") && table.contains("RISK"));
    let (code, csv, _) = env.run(&["audit", "--format", "csv"]);
    assert_eq!(code, 0);
    assert_eq!(csv.lines().count(), 46);
    assert!(csv.starts_with("context,api_key_id,name,type,scope_count,risk,findings,scopes"));
    let (code, md, _) = env.run(&["audit", "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(md.starts_with("# SendGrid API key audit") && md.contains("## Findings"));

    // --all-subusers adds the contexts
    let all = env.json(&["audit", "--all-subusers", "--format", "json"]);
    assert_eq!(all["contexts"].as_array().unwrap().len(), 3);
    assert_eq!(all["keys"].as_array().unwrap().len(), 45 + 5 + 4);
    assert!(
        all["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["context"] == "acme-eu-marketing")
    );

    // --out writes the report
    let out = dir.join("before.json");
    let (code, _, _) = env.run(&["audit", "--format", "json", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0);
    // change things, then --since
    let victim = env.id_named("test");
    let renamed = env.id_named("staging");
    env.run(&["revoke", &victim, "--yes"]);
    env.run(&["rename", &renamed, "staging (old)"]);
    let new = env.json(&["create", "fresh", "--scope", "mail.send", "--json"]);
    let since = env.json(&[
        "audit",
        "--since",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let ch = &since["changes"];
    assert_eq!(ch["added"][0]["api_key_id"], new["api_key_id"]);
    assert_eq!(ch["removed"][0]["api_key_id"], victim.as_str());
    assert_eq!(ch["renamed"][0]["to"], "staging (old)");
    let (code, text, _) = env.run(&["audit", "--since", out.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(text.contains("+ added") && text.contains("- removed") && text.contains("~ renamed"));
    let bad = write(dir, "bad.json", "[1,2]");
    assert_eq!(env.run(&["audit", "--since", bad.to_str().unwrap()]).0, 2);

    // policies: pass (0) and fail (1)
    let pass = write(
        dir,
        "pass.toml",
        "[[rule]]\nname = \"ci keys send mail only\"\nkeys = \"ci-deploy*\"\nallow_only = [\"mail.send\"]\n",
    );
    let (code, out, _) = env.run(&["audit", "--policy", pass.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("all rules pass"));
    let fail = write(
        dir,
        "fail.toml",
        "[[rule]]\nname = \"few full keys\"\nmax_full_access = 2\n[[rule]]\nname = \"no minting\"\nexcept = [\"key-admin*\", \"sgkeys-admin*\"]\ndeny = [\"api_keys.create\"]\n",
    );
    let (code, out, _) = env.run(&["audit", "--policy", fail.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("few full keys") && out.contains("no minting"));
    let v = env.json_code(
        &[
            "audit",
            "--policy",
            fail.to_str().unwrap(),
            "--format",
            "json",
        ],
        1,
    );
    assert!(v["violations"].as_array().unwrap().len() >= 2);
    let broken = write(
        dir,
        "broken.toml",
        "[[rule]]\nname = \"x\"\ndeny = [\"nope.*\"]\n",
    );
    let (code, _, err) = env.run(&["audit", "--policy", broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("matches no known scope"), "{err}");
    // the shipped example policy parses and runs
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/example-policy.toml");
    let (code, out, err) = env.run(&["audit", "--policy", example]);
    assert!(code == 0 || code == 1, "{err}");
    assert!(out.contains("Policy:"));
    env.sim.shutdown().await;
}

impl Env {
    fn json_code(&self, args: &[&str], want: i32) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, want, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn recreate_from_the_journal() {
    let env = Env::new().await;
    let id = env.id_named("webhooks: event consumer");
    let before = key_of(&env.sim, &id);
    assert_eq!(env.run(&["revoke", &id, "--yes"]).0, 0);
    let (code, out, err) = env.run(&["recreate", &id, "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.trim().starts_with("SG."),
        "the new secret is printed once"
    );
    let again = env
        .sim
        .keys(None)
        .into_iter()
        .find(|k| k.name == before.name)
        .unwrap();
    assert_ne!(again.api_key_id, before.api_key_id);
    let mut a = again.scopes.clone();
    let mut b = before.scopes.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b, "same scopes");
    let j = env.journal_entries();
    let last = j.last().unwrap();
    assert_eq!(last["action"], "recreate");
    assert_eq!(last["replaces"], id.as_str());
    assert!(
        !std::fs::read_to_string(env.journal())
            .unwrap()
            .contains(&out.trim()[26..])
    );
    // unknown: usage error
    assert_eq!(env.run(&["recreate", "AAAAAAAAAAAAAAAAAAAAAA"]).0, 2);
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_two_keys_and_key_vs_preset() {
    let env = Env::new().await;
    let a = env.id_named("ci-deploy: web-frontend (GitHub Actions)");
    let b = env.id_named("jenkins: nightly reports");
    // as diff(1): the keys differ, so the exit status is 1
    let d = env.json_code(&["diff", &a, &b, "--json"], 1);
    assert!(!d["only_right"].as_array().unwrap().is_empty());
    assert!(
        d["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["category"] == "mail")
    );
    // the deploy key holds exactly the preset's scopes: same, exit 0
    let (code, text, _) = env.run(&["diff", &a, "--preset", "Mail Send only"]);
    assert_eq!(code, 0);
    assert!(text.contains("in common"), "{text}");
    assert_eq!(env.run(&["diff", &a, "--preset", "no such preset"]).0, 2);
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn config_profiles_and_key_commands() {
    let env = Env::new().await;
    let cfg = env.dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "default_profile = 'sim'\n[profiles.sim]\nbase_url = '{}'\napi_key_cmd = 'printf %s \"$SIM_KEY\"'\n[profiles.eu]\nbase_url = '{}'\non_behalf_of = 'acme-eu-marketing'\napi_key_env = 'SIM_KEY'\nread_only = true\n",
            env.sim.base_url(),
            env.sim.base_url()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = env
            .cmd(args)
            .env_remove("SENDGRID_API_KEY")
            .env_remove("SGKEYS_BASE_URL")
            .env("SIM_KEY", env.sim.admin_key().expose())
            .env("SGKEYS_CONFIG", &cfg)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(array_len(&out), 45);
    let (code, out, _) = run(&["--profile", "eu", "list", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(array_len(&out), 4);
    let (code, _, err) = run(&["--profile", "eu", "create", "x", "--full"]);
    assert_eq!(code, 2, "profile read_only refuses: {err}");
    let (code, _, err) = run(&["--profile", "nope", "list"]);
    assert_eq!(code, 2);
    assert!(err.contains("known: eu, sim"), "{err}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_revoke_by_filter() {
    let env = Env::new().await;
    env.sim.reset_counters();
    let dry = env.json(&[
        "revoke",
        "--filter",
        "type:full !sgkeys-admin",
        "--dry-run",
        "--json",
    ]);
    let names: Vec<&str> = dry["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        6,
        "the demo has 7 Full Access keys, one of them the admin: {names:?}"
    );
    assert!(
        names.contains(&"prod-mail-key (LEAKED?)")
            && !names.iter().any(|n| n.starts_with("sgkeys-admin"))
    );
    assert_eq!(env.sim.mutating_requests(), 0);
    let done = env.json(&["revoke", "--filter", "risk:high tmp", "--yes", "--json"]);
    assert_eq!(done["results"][0]["name"], "tmp-debug");
    assert_eq!(done["results"][0]["status"], "revoked");
    assert_eq!(done["results"].as_array().unwrap().len(), 1);
    assert_eq!(env.run(&["revoke", "--filter", "type:gold"]).0, 2);
    assert_eq!(env.run(&["revoke", "--filter", "  "]).0, 2);
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_out_refuses_a_directory_and_keeps_a_symlink() {
    let env = Env::new().await;
    let dir = env.dir.path();
    let sub = dir.join("reports");
    std::fs::create_dir(&sub).unwrap();
    let (code, _, err) = env.run(&["audit", "--format", "csv", "--out", sub.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("is a directory") && err.contains("reports"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&sub).unwrap().count(), 0);

    let target = sub.join("audit.csv");
    let link = dir.join("latest.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let (code, _, err) = env.run(&["audit", "--format", "csv", "--out", link.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("context,api_key_id")
    );
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_eu_subusers_calls_go_to_its_regions_host() {
    let env = Env::new().await;
    // with the EU host known, the subuser's region is looked up and its calls go there
    let (code, out, err) = env.run(&["--on-behalf-of", "acme-eu-marketing", "list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let keys: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        keys.as_array().unwrap().len(),
        env.sim.keys(Some("acme-eu-marketing")).len()
    );
    // without it, SendGrid's answer (451) says what to do
    let out = env
        .cmd(&["--on-behalf-of", "acme-eu-marketing", "list"])
        .env_remove("SGKEYS_EU_BASE_URL")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("451") && err.contains("region"), "{err}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn recreate_acts_only_in_the_context_the_key_lived_in() {
    let env = Env::new().await;
    let other = Env::new().await;
    let id = env.id_named("tmp-debug");
    let (code, _, err) = env.run(&["revoke", &id, "--yes"]);
    assert_eq!(code, 0, "{err}");
    // the same journal, another simulator: refused, nothing created there
    let before = other.sim.keys(None).len();
    let out = other
        .cmd(&["recreate", &id, "--yes"])
        .env("SGKEYS_JOURNAL", env.journal())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--into-current"), "{err}");
    assert_eq!(other.sim.keys(None).len(), before);
    // another account of the same simulator: refused too
    let (code, _, err) = env.run(&[
        "--on-behalf-of",
        "acme-transactional",
        "recreate",
        &id,
        "--yes",
    ]);
    assert_eq!(code, 2, "{err}");
    // with --into-current it goes where sgkeys points
    let out = other
        .cmd(&["recreate", &id, "--yes", "--into-current", "--json"])
        .env("SGKEYS_JOURNAL", env.journal())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(other.sim.keys(None).len(), before + 1);
    // no terminal, no --yes: refused, said
    let (code, _, err) = env.run(&["recreate", &id]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--yes"), "{err}");
    env.sim.shutdown().await;
    other.sim.shutdown().await;
}

/// A simulator whose one key besides the admin key has an id that begins with `-` (1 in 64
/// do; the simulator's ids follow its seed, so the search ends at the same seed every run).
async fn env_with_hyphen_key(from_seed: u64) -> (Env, String) {
    for seed in from_seed..from_seed + 2000 {
        let env = Env::with(sgkeys::sim::SimConfig {
            seed: sgkeys::sim::Seed::Empty,
            rng_seed: Some(seed),
            ..Default::default()
        })
        .await;
        let id = env
            .sim
            .add_key(None, "hyphen", &["mail.send"])
            .key_id()
            .unwrap()
            .to_owned();
        if id.starts_with('-') {
            return (env, id);
        }
        env.sim.shutdown().await;
    }
    panic!("no id began with '-'");
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_that_begin_with_a_hyphen_are_ids_wherever_ids_are_taken() {
    let (env, id) = env_with_hyphen_key(1).await;
    let v = env.json(&["show", &id, "--json"]);
    assert_eq!(v["api_key_id"], id.as_str());
    let (code, out, err) = env.run(&["show", &id]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("hyphen"), "{out}");
    // rotate -Gx… --yes: replaced, old key revoked
    let lines = env.json_lines(&["rotate", &id, "--yes", "--json"]);
    assert_eq!(rotation_events(&lines, "result")[0]["status"], "rotated");
    assert!(!env.ids().contains(&id));
    // a key that is not there, said plainly
    let (code, out, _) = env.run(&["revoke", &id, "--yes"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!(
            "not found  {id}: already revoked, or never existed"
        )),
        "{out}"
    );
    // a real unknown flag is still refused as one
    let (code, _, err) = env.run(&["revoke", "-Z", "--yes"]);
    assert_eq!(code, 2, "{err}");
    env.sim.shutdown().await;
    // revoke -Gx… --yes (flags after the id still parse)
    let (env, id) = env_with_hyphen_key(5000).await;
    let (code, out, err) = env.run(&["revoke", &id, "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("revoked    {id}")), "{out}");
    assert!(!env.ids().contains(&id));
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_leaked_from_report_is_revoke_from_report() {
    let env = Env::new().await;
    let leaked = env.sim.add_key(None, "leaked in a report", &["mail.send"]);
    let report = write(
        env.dir.path(),
        "report.txt",
        &format!("found: {}\n", leaked.expose()),
    );
    let r = report.to_string_lossy().into_owned();
    let (code, _, err) = env.run(&["revoke", "--leaked", "--from-report", &r, "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = env.run(&["revoke", "--leaked", "--from-report", &r, "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(!env.ids().contains(&leaked.key_id().unwrap().to_owned()));
    // a key and a report at once: which one?
    let (code, _, err) = env.run(&["revoke", "--leaked", "SG.x", "--from-report", &r]);
    assert_eq!(code, 2, "{err}");
    env.sim.shutdown().await;
}
