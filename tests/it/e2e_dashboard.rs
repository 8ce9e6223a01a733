//! The dashboard as a k9s user lives in it (issues 21 and 23), in a real terminal: the real
//! binary in tmux against a standalone `sgkeys sim`. Skipped (with a message) without tmux.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use crate::common::tmux::*;

/// Issue 21 item 4: keys that arrive in one burst (tmux `send-keys -l` writes them at once, as
/// a slow SSH link does) are never lost without a word.
#[test]
fn keys_that_arrive_at_once_are_typed_opened_repeated_or_refused_aloud() {
    let Some((dir, sim, t)) = open("sgkeys-e2e-bursts", "", &[]) else {
        return;
    };
    let before = mutating_requests(&sim);
    let total = list_position(&t.screen()).expect("list position").1;
    // one repeated key is key repeat: nine moves
    t.type_text("jjjjjjjjj");
    t.wait_for(&format!("10/{total}"));
    // `/` first: the filter opens with the rest typed, and the Enter typed with it keeps it
    t.type_text("/webhooks: event\r");
    let s = t.wait_for(&format!("1/{total} keys"));
    assert!(s.contains("webhooks: event consumer"), "{s}");
    t.send_keys(&["Escape"]);
    t.wait_for(&format!(" {total} keys"));
    // `:` first: that command line runs
    t.type_text(":journal\r");
    t.wait_for("Journal");
    t.send_keys(&["Escape"]);
    // anything else: dropped, and said
    t.type_text("hello world!!");
    let s = t.wait_for("ignored 13 characters that arrived at once");
    assert!(!s.contains("Journal"), "nothing opened:\n{s}");
    assert_eq!(
        mutating_requests(&sim),
        before,
        "the keystrokes ran nothing"
    );
    quit(&t, &dir);
}

/// Issue 23 item 1: a least-privilege key's 403 says which scope it lacks and how to grant it,
/// as `sgkeys list` does with the same key.
#[test]
fn a_key_without_api_keys_read_is_told_which_scope_it_lacks() {
    let Some((dir, sim)) = start(&[]) else {
        return;
    };
    let weak = mint(&sim, &dir, "mail only", None);
    let mut env = env_for(&sim, &dir);
    for (k, v) in &mut env {
        if *k == "SENDGRID_API_KEY" {
            v.clone_from(&weak);
        }
    }
    // nothing remembered (minting recorded the key): the list pane itself says why it is empty
    env.push(("SGKEYS_NO_INVENTORY", "1".into()));
    let t = Tmux::start("sgkeys-e2e-403", &env);
    t.send_line(BIN);
    let s = t.wait_for("this key lacks api_keys.read");
    assert!(s.contains("403 Forbidden"), "{s}");
    assert!(s.contains("API Keys: Read Access"), "{s}");
    // the CLI with the same key: the same hint
    let out = std::process::Command::new(BIN)
        .args(["list", "--base-url", &sim.url])
        .env("SENDGRID_API_KEY", &weak)
        .env("XDG_STATE_HOME", dir.join("state"))
        .output()
        .expect("sgkeys list");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("this key lacks api_keys.read: give it API Keys: Read Access"),
        "{err}"
    );
    quit(&t, &dir);
}

/// Issue 23 item 5: `y` copies the key's id, and the toast says the id was copied only when it
/// was (tmux takes a program's copy only with `set-clipboard on`).
#[test]
fn the_copy_toast_says_id_and_whether_it_was_copied() {
    let Some((dir, sim, t)) = open("sgkeys-e2e-copy", "", &[]) else {
        return;
    };
    // the selected row: the first key in API order
    let first = sim_keys(&sim).remove(0).0;
    let set = |v: &str| {
        let ok = tmux(&t.socket)
            .args(["set", "-s", "set-clipboard", v])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "tmux set-clipboard {v}");
    };
    set("off");
    // the first row, whatever moved the cursor before (this test is about the copy)
    t.send_keys(&["g"]);
    t.send_keys(&["y"]);
    let s = t.wait_for("not copied");
    assert!(s.contains(&format!("id {first} not copied")), "{s}");
    assert!(
        !s.contains("secret"),
        "the toast says what was copied:\n{s}"
    );
    set("on");
    t.send_keys(&["y"]);
    t.wait_for(&format!("id {first} copied into tmux's paste buffer"));
    let buf = tmux(&t.socket)
        .args(["show-buffer"])
        .output()
        .expect("show-buffer");
    assert_eq!(String::from_utf8_lossy(&buf.stdout).trim(), first);
    quit(&t, &dir);
}

/// Issue 23 item 8: revoking a key someone else revoked meanwhile is said as such, never as
/// "✓ revoked".
#[test]
fn a_key_revoked_elsewhere_meanwhile_is_said_to_be_already_revoked() {
    let Some((dir, sim, t)) = open("sgkeys-e2e-already", "", &[]) else {
        return;
    };
    let id = sim_id_named(&sim, "tmp-debug");
    t.send_keys(&["/"]);
    t.type_text("tmp-debug\r");
    t.wait_for("1/");
    // someone revokes it with the CLI while the dashboard still shows it
    cli(&sim, &dir, "cli-journal.jsonl", &["revoke", &id, "--yes"]);
    t.send_keys(&["d"]);
    t.wait_for("Revoke 1 API key");
    t.wait_for("y revoke");
    t.send_keys(&["y"]);
    let s = t.wait_for("was already revoked");
    assert!(s.contains("'tmp-debug' was already revoked"), "{s}");
    assert!(!s.contains("✓ revoked"), "{s}");
    quit(&t, &dir);
}

/// Issue 23 item 9: `/` in the @ log filters it (and routine reads are not what fills it).
#[test]
fn the_log_is_searched_with_slash() {
    let Some((dir, _sim, t)) = open("sgkeys-e2e-log", "", &[]) else {
        return;
    };
    t.log_lines("scopes");
    let s = t.wait_for("1 matching");
    assert!(s.contains("GET /v3/scopes 200"), "{s}");
    assert!(!s.contains("GET /v3/api_keys 200"), "filtered out:\n{s}");
    // ? in the log is its help, and Esc goes back to the log
    t.send_keys(&["?"]);
    t.wait_for("Help — Message log");
    t.send_keys(&["Escape"]);
    t.wait_for("1 matching");
    t.send_keys(&["Escape"]);
    t.send_keys(&["Escape"]);
    quit(&t, &dir);
}

/// Issue 23 items 7 and 11: `:ctx -` completed with Tab switches back (Enter runs what is
/// shown), and a customer account the dashboard was opened for stays in the picker.
#[test]
fn ctx_minus_by_tab_switches_back_and_the_picker_keeps_the_customer_account() {
    let Some((dir, sim)) = start(&[]) else {
        return;
    };
    let customer = sim
        .customers
        .first()
        .cloned()
        .expect("a customer account in the demo");
    let t = Tmux::start("sgkeys-e2e-ctx", &env_for(&sim, &dir));
    t.send_line(&format!("{BIN} --on-behalf-of 'account-id {customer}'"));
    t.wait_for(&format!("account-id {customer}"));
    t.wait_for("updated");
    // to a subuser, typed
    t.send_keys(&[":"]);
    t.type_text("ctx acme-transactional");
    t.send_keys(&["Enter"]);
    t.wait_for("subuser acme-transactional");
    // back with `:ctx ` + Tab: the line shows `:ctx -`, Enter switches (no picker)
    t.send_keys(&[":"]);
    t.type_text("ctx ");
    t.send_keys(&["Tab"]);
    t.wait_for(":ctx -");
    t.send_keys(&["Enter"]);
    let s = t.wait_for(&format!("switched to account › account-id {customer}"));
    assert!(!s.contains("Switch context"), "the picker opened:\n{s}");
    // to the own account, then the picker lists the customer account and Enter goes there
    t.send_keys(&[":"]);
    t.type_text("ctx own");
    t.send_keys(&["Enter"]);
    t.wait_for("switched to account ");
    t.send_keys(&["c"]);
    let s = t.wait_for("Switch context");
    assert!(s.contains(&format!("account-id {customer}")), "{s}");
    t.send_keys(&["/"]);
    t.type_text(&customer);
    t.send_keys(&["Enter", "Enter"]);
    t.wait_for(&format!("switched to account › account-id {customer}"));
    quit(&t, &dir);
}

/// `v`: the describe view of the selected key, its JSON as the simulator answered it.
#[test]
fn v_describes_the_key_with_its_json() {
    let Some((dir, sim, t)) = open("sgkeys-e2e-describe", "", &[]) else {
        return;
    };
    let id = sim_id_named(&sim, "tmp-debug");
    t.send_keys(&["/"]);
    t.type_text("tmp-debug\r");
    t.wait_for("1/");
    t.send_keys(&["v"]);
    t.wait_for("Describe · tmp-debug");
    let s = t.wait_for("Scopes by category");
    assert!(s.contains(&format!("id {id}")), "{s}");
    // the search brings the JSON into view
    t.send_keys(&["/"]);
    t.type_text("\"api_key_id\"");
    t.send_keys(&["Enter"]);
    t.wait_for("1 match");
    t.wait_for(&format!("\"api_key_id\": \"{id}\""));
    t.send_keys(&["Escape"]);
    t.wait_for("1/");
    quit(&t, &dir);
}

/// Issue 24 item 3: the user's keys from `[keys]` in config.toml act, and the hint line, the
/// dialogs and the help show them; a key that would do two things is refused at start, naming
/// the line.
#[test]
fn keys_from_the_config_act_and_show_and_a_clash_is_refused_by_line() {
    let Some((dir, _sim)) = start(&[]) else {
        return;
    };
    let config = dir.join("config/sgkeys/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    // the README's example, as written there
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let example = readme
        .split("<!-- keys:begin -->")
        .nth(1)
        .and_then(|r| r.split("<!-- keys:end -->").next())
        .unwrap()
        .replace("```toml", "")
        .replace("```", "");
    std::fs::write(&config, example).unwrap();
    let t = Tmux::start("sgkeys-e2e-keys", &env_for(&_sim, &dir));
    t.send_line(BIN);
    t.wait_for("updated");
    let s = t.wait_for("x revoke key(s)");
    assert!(!s.contains("d revoke"), "{s}");
    // x opens the confirmation; d is no key now, and says so
    t.send_keys(&["d"]);
    t.wait_for("no action for d");
    t.send_keys(&["x"]);
    t.wait_for("Revoke");
    t.wait_for("Cancel");
    t.send_keys(&["Escape"]);
    // F filters
    t.send_keys(&["F"]);
    t.type_text("jenkins");
    t.wait_for("filter: jenkins");
    t.send_keys(&["Enter", "Escape"]);
    // the help lists the user's keys, and h closes it as configured
    t.send_keys(&["?"]);
    let s = t.wait_for("revoke key(s)");
    assert!(
        s.lines()
            .any(|l| l.contains(" x ") && l.contains("revoke key(s)")),
        "{s}"
    );
    t.send_keys(&["h"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !t.screen().contains("filter (name, id"),
        "h closed the help"
    );
    t.quit();
    // a clash: refused before the screen changes, naming the file's line, exit 2
    std::fs::write(&config, "[keys]\n\nrevoke = \"j\"\n").unwrap();
    t.send_line("clear");
    t.send_line(&format!("{BIN}; echo rc=$?"));
    let s = t.wait_for("rc=2");
    assert!(
        s.contains("line 3 (revoke = \"j\")") && s.contains("move down"),
        "{s}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 23 item 4: a rotation the CLI left pending appears on its row after Ctrl-r; `R` on the
/// row offers to finish or cancel it (never a second replacement), and `f` finishes it from the
/// row: the replacement read back, the old key revoked, the journal then holds nothing pending.
#[test]
fn a_rotation_the_cli_left_pending_is_finished_from_its_row() {
    let Some((dir, sim, t)) = open("sgkeys-e2e-pending", "", &[]) else {
        return;
    };
    let old = sim_id_named(&sim, "tmp-debug");
    // the CLI rotates it, keeps the old key, into the dashboard's journal
    let cli = |args: &[&str]| cli(&sim, &dir, "journal.jsonl", args);
    cli(&["rotate", &old, "--later"]);
    t.send_keys(&["C-r"]);
    t.send_keys(&["/"]);
    t.type_text("tmp-debug\r");
    let s = t.wait_for("⟳ pending rotation: replaced by");
    assert!(s.contains("⟳ pending"), "{s}");
    // R: finish or cancel, not a second rotation
    let before = mutating_requests(&sim);
    t.send_keys(&["R"]);
    let s = t.wait_for("cancel");
    assert!(!s.contains("Rotate 'tmp-debug'"), "{s}");
    t.send_keys(&["Escape"]);
    t.wait_for("⟳ pending rotation: replaced by");
    assert_eq!(mutating_requests(&sim), before, "R sent nothing");
    // f: finished from the row
    t.send_keys(&["f"]);
    let s = t.wait_for("verified gone");
    assert!(s.contains("'tmp-debug'"), "{s}");
    assert!(
        sim_keys(&sim).iter().all(|(id, _)| *id != old),
        "the old key is revoked"
    );
    let out = cli(&["rotate", "--finish", "--yes"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No pending rotation here"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    quit(&t, &dir);
}
