//! End-to-end: the real binary in a real terminal (tmux), against a standalone `sgkeys sim`.
//!
//! Skipped (with a message) when tmux is not installed; `.ci/run` installs it. The session, the
//! simulator process and what is asked of it are in `common::tmux`. Here: the terminal's lifecycle (edits and a
//! revoke, read-only, a panic, SIGTERM, Ctrl-Z, the secret copied); `flows.rs`: the workflows (the
//! README's incident commands, a pasted key, k9s habits, rotate, the matrix, the theme, the
//! inventory, the rate-limit wait).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

mod flows;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::tmux::*;

#[test]
fn dashboard_edits_scopes_and_revokes_then_restores_the_terminal() {
    if no_tmux() {
        return;
    }
    let dir = tempdir();
    // at the defaults (600 requests a minute, a 2 s propagation delay), as a user meets SendGrid
    let sim = Sim::realistic(&dir, &[]);
    let before = list_with_scopes(&sim, &dir);
    let by_name = |m: &BTreeMap<String, (String, Vec<String>)>, name: &str| -> String {
        m.iter()
            .find(|(_, (n, _))| n == name)
            .map(|(id, _)| id.clone())
            .expect("key in demo seed")
    };
    let edited = by_name(&before, "webhooks: event consumer");
    let revoked = by_name(&before, "tmp-debug");

    let t = Tmux::start("sgkeys-e2e", &env_for(&sim, &dir));
    t.send_line(BIN);
    t.wait_for("ci-deploy");
    t.wait_for("updated"); // prefetch finished, idle

    // navigate to the named key with the filter, edit its scopes: Alerts → Read
    t.send_keys(&["/"]);
    t.type_text("webhooks: event");
    t.send_keys(&["Enter"]);
    t.wait_for("1/");
    t.send_keys(&["e"]);
    t.wait_for("Edit scopes");
    t.send_keys(&["l"]); // first row: Alerts, one step up = Read Access
    t.send_keys(&["Enter"]); // review
    t.wait_for("alerts.read");
    t.send_keys(&["y"]); // re-read, then PUT
    t.wait_for("saved scopes");

    // revoke another key through the confirm modal
    t.send_keys(&["Escape"]); // clear the filter
    t.send_keys(&["/"]);
    t.type_text("tmp-debug");
    t.send_keys(&["Enter"]);
    t.send_keys(&["d"]);
    t.wait_for("Revoke 1 API key");
    t.wait_for("y revoke"); // its buttons take keys 0.4 s after it opens
    t.send_keys(&["y"]);
    t.wait_for("revoked 'tmp-debug'");

    let screen = t.quit();
    assert!(
        !t.alternate_screen_on(),
        "the alternate screen is still on:\n{screen}"
    );
    assert!(
        !screen.contains("Scopes"),
        "dashboard still drawn:\n{screen}"
    );

    // exactly those two changes happened
    let after = list_with_scopes(&sim, &dir);
    assert!(!after.contains_key(&revoked), "tmp-debug still exists");
    let mut expected = before.clone();
    expected.remove(&revoked);
    if let Some((_, scopes)) = expected.get_mut(&edited) {
        scopes.push("alerts.read".into());
        scopes.sort();
    }
    assert_eq!(
        after, expected,
        "the account differs from the two intended changes"
    );
    // and both are in the journal
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).expect("journal written");
    let entries = sgkeys::journal::Journal::new(dir.join("journal.jsonl"))
        .read_all()
        .unwrap();
    assert_eq!(entries.len(), 2, "{journal}");
    assert!(
        entries
            .iter()
            .all(|e| e.result() == sgkeys::journal::Outcome::Ok),
        "{journal}"
    );
    assert!(journal.contains("\"set_scopes\"") && journal.contains("\"revoke\""));
    assert!(!journal.contains(&sim.key[26..]), "secret in journal");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn read_only_dashboard_sends_no_mutation() {
    let Some((dir, sim, t)) = session("sgkeys-e2e-ro", &[]) else {
        return;
    };
    t.send_line(&format!("{BIN} --read-only"));
    t.wait_for("[READ-ONLY]");
    t.wait_for("updated");
    for k in ["d", "e", "r", "n"] {
        t.send_keys(&[k]);
        t.wait_for("read-only mode");
        assert!(!t.screen().contains("Revoke 1 API key"));
    }
    t.quit();
    assert_eq!(
        mutating_requests(&sim),
        0,
        "a mutating request reached the simulator"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_panic_anywhere_restores_the_terminal_and_exits_1() {
    if no_tmux() {
        return;
    }
    for (i, (kind, poke)) in [("worker", false), ("ui", true)].into_iter().enumerate() {
        let dir = tempdir();
        let log = dir.join("sgkeys.log");
        let mut env = demo_env(&dir);
        env.push(("SGKEYS_TEST_PANIC", kind.to_owned()));
        let t = Tmux::start(&format!("sgkeys-e2e-panic-{i}"), &env);
        t.send_line(&format!("{BIN} demo --log-file {}", log.display()));
        t.wait_for("acme-corp");
        if poke {
            t.send_keys(&["j"]);
        }
        let screen = t.wait_for("internal error");
        t.send_line("echo rc=$?");
        let screen2 = t.wait_for("rc=1");
        assert!(
            !t.alternate_screen_on(),
            "alternate screen left on after a {kind} panic:\n{screen}\n{screen2}"
        );
        assert!(
            screen2.contains(&format!("SGKEYS_TEST_PANIC={kind}")),
            "{screen2}"
        );
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            logged.contains("panic"),
            "no log line for the {kind} panic: {logged}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn sigterm_during_a_revoke_restores_the_terminal_journals_and_exits_143() {
    let Some((dir, sim)) = start(&["--latency-ms", "3000"]) else {
        return;
    };
    let revoked = sim_id_named(&sim, "tmp-debug");

    let t = Tmux::start("sgkeys-e2e-sigterm", &env_for(&sim, &dir));
    let fmt = |f: &str| t.format(f);
    // Run from the pane's shell, not as the pane's command: tmux hides the cursor of a dead
    // pane, so the terminal state is read while the shell still owns the pane.
    t.send_line(&format!("{BIN} --mouse"));
    let pid = t.foreground_pid();

    // every request takes 3 s: the list appears after one or two round trips
    t.wait_for("tmp-debug");
    let mouse_flags = "#{mouse_any_flag}#{mouse_standard_flag}#{mouse_button_flag}#{mouse_all_flag}#{mouse_sgr_flag}";
    assert!(
        fmt(mouse_flags).contains('1'),
        "--mouse did not turn mouse reporting on"
    );
    assert_eq!(fmt("#{alternate_on}"), "1");
    t.send_keys(&["/"]);
    t.type_text("tmp-debug");
    t.send_keys(&["Enter"]);
    t.wait_for("1/");
    t.send_keys(&["d"]);
    t.wait_for("Revoke 1 API key");
    t.wait_for("y revoke"); // its buttons take keys 0.4 s after it opens
    t.send_keys(&["y"]); // the DELETE is now in flight (for 3 s)
    let sent = Instant::now();
    std::thread::sleep(Duration::from_millis(200));
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(kill.success());
    // the precondition of what follows: the signal came while the DELETE (3 s) was in flight
    let signalled_after = sent.elapsed();
    assert!(
        signalled_after < Duration::from_millis(2500),
        "SIGTERM only {signalled_after:?} after the revoke: the DELETE may have been answered"
    );

    // it exits by itself, once the DELETE has been answered and journaled
    let start = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "still running 20 s after SIGTERM:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let exited_after = sent.elapsed();
    // the terminal is restored: main screen, cursor shown, no mouse reporting (give tmux a
    // moment to read the process's last output on a loaded machine)
    let settle = Instant::now();
    while fmt("#{alternate_on}") != "0" && settle.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let screen = t.screen();
    assert_eq!(
        fmt("#{alternate_on}"),
        "0",
        "alternate screen on:\n{screen}"
    );
    assert_eq!(fmt("#{cursor_flag}"), "1", "cursor hidden:\n{screen}");
    assert_eq!(fmt(mouse_flags), "00000", "mouse reporting left on");
    assert!(
        screen.contains("waiting for 1 change(s) in flight"),
        "no wait message:\n{screen}"
    );
    // exit status 143 (= 128 + SIGTERM) from exit(), not death by the signal (bash would
    // report "Terminated", and nothing would have been restored)
    t.send_line("echo rc=$?");
    let screen = t.wait_for("rc=");
    assert!(screen.contains("rc=143"), "{screen}");
    assert!(!screen.contains("Terminated"), "{screen}");
    eprintln!(
        "SIGTERM {signalled_after:?} after the revoke; exited {exited_after:?} after it, status 143"
    );

    // the revoke finished and was journaled
    assert!(
        !sim_keys(&sim).iter().any(|(id, _)| *id == revoked),
        "tmp-debug was not revoked"
    );
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).expect("journal written");
    assert!(
        journal.contains(&revoked) && journal.contains("\"revoke\""),
        "{journal}"
    );
    drop(t);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_z_suspends_and_fg_redraws() {
    if no_tmux() {
        return;
    }
    let dir = tempdir();
    let env = demo_env(&dir);
    let t = Tmux::start("sgkeys-e2e-suspend", &env);
    let flags = || t.format("#{alternate_on}#{cursor_flag}#{mouse_any_flag}#{mouse_sgr_flag}");
    t.send_line(&format!("{BIN} demo --mouse"));
    t.wait_for("ci-deploy");
    t.wait_for("updated");
    assert_eq!(flags(), "1011", "alternate screen, cursor hidden, mouse on");
    t.send_keys(&["C-z"]);
    let stopped = t.wait_for("Stopped");
    assert_eq!(flags(), "0100", "terminal not handed back:\n{stopped}");
    t.send_line("fg");
    let start = Instant::now();
    let after = loop {
        let s = t.screen();
        // drawn again from scratch: the whole dashboard, not just what changed
        if flags() == "1011"
            && s.contains("Keys 45")
            && s.contains("ci-deploy")
            && s.contains("updated")
        {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "not redrawn after fg ({}):\n{s}",
            flags()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(!after.contains("Stopped"), "{after}");
    quit(&t, &dir);
}

/// The one-time secret's copy goes through tmux as tmux takes it (plain OSC 52 with
/// `set-clipboard on`), lands in tmux's buffer, and "copied" is said only then; with
/// `set-clipboard external` tmux drops programs' copies, and sgkeys says so.
#[test]
fn copying_the_secret_in_tmux_lands_in_its_buffer_or_says_why_not() {
    let Some((dir, _sim, t)) = session("sgkeys-e2e-copy", &[]) else {
        return;
    };
    let set = |v: &str| {
        assert!(
            tmux(&t.socket)
                .args(["set", "-s", "set-clipboard", v])
                .status()
                .expect("tmux set")
                .success()
        );
    };
    set("on");
    t.send_line(BIN);
    t.wait_for("updated");
    let create = |name: &str| -> String {
        t.send_keys(&["n"]);
        t.type_text(name);
        t.send_keys(&["Tab", "Tab", "l", "Enter"]);
        t.wait_for(&format!("Create '{name}'"));
        t.send_keys(&["y"]);
        let shown = t.wait_for("shown once");
        shown
            .split_whitespace()
            .find(|w| w.starts_with("SG.") && w.len() == 69)
            .expect("the secret is on screen")
            .to_owned()
    };
    let secret = create("copy on");
    t.send_keys(&["c"]);
    t.wait_for("copied into tmux");
    let buffer = tmux(&t.socket)
        .args(["show-buffer"])
        .output()
        .expect("show-buffer");
    assert_eq!(
        String::from_utf8_lossy(&buffer.stdout).trim(),
        secret,
        "tmux's buffer holds the secret"
    );
    t.send_keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !t.screen().contains("shown once"),
        "closes at once once copied"
    );

    set("external");
    let _ = tmux(&t.socket).args(["delete-buffer"]).output();
    create("copy external");
    t.send_keys(&["c"]);
    t.wait_for("not copied");
    assert!(
        !tmux(&t.socket)
            .args(["show-buffer"])
            .output()
            .expect("show-buffer")
            .status
            .success(),
        "nothing reached tmux"
    );
    t.send_keys(&["Escape"]);
    t.wait_for("You have not copied it");
    t.send_keys(&["Escape"]);
    quit(&t, &dir);
}
