//! The dashboard as a k9s user lives in it (issues 21 and 23), in a real terminal: the real
//! binary in tmux against a standalone `sgkeys sim`. Skipped (with a message) without tmux.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use crate::common::tmux::*;

/// A dashboard on the demo simulator, idle (every key's scopes read).
fn open(name: &str, args: &str, sim_args: &[&str]) -> Option<(std::path::PathBuf, Sim, Tmux)> {
    if !have_tmux() {
        eprintln!("SKIPPED: tmux is not installed (.ci/run installs it)");
        return None;
    }
    let dir = tempdir();
    let sim = Sim::start(&dir, sim_args);
    let t = Tmux::start(name, &env_for(&sim, &dir));
    t.send_line(&format!("{BIN} {args}"));
    t.wait_for("updated");
    Some((dir, sim, t))
}

fn quit(t: &Tmux, dir: &std::path::Path) {
    t.send_keys(&["q"]);
    t.send_line("echo rc=$?");
    t.wait_for("rc=0");
    let _ = std::fs::remove_dir_all(dir);
}

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
