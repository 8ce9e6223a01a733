//! End-to-end workflows of the real binary in tmux: the README's incident commands, a key typed
//! in one burst, k9s habits, rotate, the permission matrix, `--theme auto`, the inventory and
//! offline mode, the rate-limit wait. The terminal's lifecycle is `e2e_tmux.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::time::{Duration, Instant};

use crate::common::tmux::*;
/// The README's incident block, line by line.
fn readme_incident_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let block = readme
        .split("<!-- incident:begin -->")
        .nth(1)
        .and_then(|r| r.split("<!-- incident:end -->").next())
        .expect("the incident block");
    block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("sgkeys") || l.starts_with("cat "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn readme_incident_commands_run_as_written() {
    if no_tmux() {
        return;
    }
    let commands = readme_incident_commands();
    assert_eq!(commands.len(), 6, "{commands:?}");
    let dir = tempdir();
    let sim = Sim::start(&dir, &["--revoke-delay-ms", "1500"]);
    // `sgkeys` on PATH, as installed
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(BIN, bin.join("sgkeys")).unwrap();
    let env = env_for(&sim, &dir);
    let typed = mint(&sim, &dir, "pasted at 3am", None);
    let redirected = mint(&sim, &dir, "in a file", None);
    let piped = mint(&sim, &dir, "in a pipe", None);
    let reported = mint(&sim, &dir, "in a repo", None);
    let reported_sub = mint(&sim, &dir, "in a repo too", Some("acme-transactional"));
    let gitleaks = serde_json::json!([
        {"Description": "SendGrid API token", "StartLine": 4, "File": "deploy/.env", "Commit": "c0ffee00",
         "Secret": reported, "Match": format!("SENDGRID_API_KEY={reported}"), "RuleID": "sendgrid-api-token"},
        {"Description": "SendGrid API token", "StartLine": 9, "File": "cfg/mail.yml", "Commit": "c0ffee00",
         "Secret": reported_sub, "Match": reported_sub, "RuleID": "sendgrid-api-token"}
    ]);
    std::fs::write(dir.join("gitleaks.json"), gitleaks.to_string()).unwrap();

    let t = Tmux::start("sgkeys-e2e-incident", &env);
    // tmux keeps its own PATH for a new session: put `sgkeys` first in the shell
    t.send_line(&format!(
        "cd {}; export PATH={}:$PATH; PS1='[rc=$?]$ '; clear",
        dir.display(),
        bin.display()
    ));
    t.wait_for("[rc=0]$");
    let secrets = [&typed, &redirected, &piped, &reported, &reported_sub];
    for cmd in &commands {
        // what each command reads
        if cmd.contains("< leaked.txt") {
            std::fs::write(dir.join("leaked.txt"), format!("{redirected}\n")).unwrap();
        }
        if cmd.starts_with("cat leaked.txt") {
            std::fs::write(dir.join("leaked.txt"), format!("{piped}\n")).unwrap();
        }
        t.send_line("clear");
        std::thread::sleep(Duration::from_millis(200));
        t.send_line(cmd);
        let start = Instant::now();
        let (mut pasted, mut confirmed) = (false, false);
        let screen = loop {
            let s = t.screen();
            if !pasted && s.contains("Paste the leaked key") {
                t.type_text(&typed);
                t.send_keys(&["Enter"]);
                pasted = true;
            }
            if !confirmed && (s.contains("[y/N]") || s.contains("to revoke the")) {
                let answer = if s.contains("Type 2") { "2" } else { "y" };
                t.send_line(answer);
                confirmed = true;
            }
            // the prompt after `clear`, then the command's own output, then the next prompt
            if s.matches("[rc=").count() >= 2 {
                break s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{cmd}: no end; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let last_rc = screen
            .rsplit("[rc=")
            .next()
            .and_then(|r| r.split(']').next())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(last_rc, "0", "{cmd} failed:\n{screen}");
        for s in secrets {
            assert!(
                !screen.contains(&s[26..]),
                "{cmd}: a secret on screen:\n{screen}"
            );
        }
        if cmd.starts_with("sgkeys revoke --leaked") || cmd.starts_with("cat ") {
            assert!(screen.contains("confirmed dead after"), "{cmd}:\n{screen}");
        }
        if cmd.ends_with("--dry-run") {
            assert!(
                screen.contains("deploy/.env:4") && screen.contains("LIVE"),
                "{screen}"
            );
        }
        if cmd == "sgkeys journal" {
            assert!(screen.contains("revoke"), "{screen}");
        }
    }
    // all five are gone from the account
    let names = ["pasted at 3am", "in a file", "in a pipe", "in a repo"];
    let left = list_with_scopes(&sim, &dir);
    for n in names {
        assert!(
            !left.values().any(|(name, _)| name == n),
            "{n} is still there"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without bracketed paste a pasted key arrives as keystrokes: it must select the key (in
/// whichever account holds it) and run nothing else; `d` `y` then revokes it and the status
/// says when SendGrid refused it.
#[test]
fn a_key_typed_in_one_burst_is_a_paste_found_in_its_subuser_and_proven_dead() {
    let Some((dir, sim)) = start(&["--revoke-delay-ms", "1500"]) else {
        return;
    };
    let leaked = mint(&sim, &dir, "sub leak", Some("acme-transactional"));
    let t = Tmux::start("sgkeys-e2e-burst", &env_for(&sim, &dir));
    t.send_line(BIN);
    t.wait_for("updated");
    let before = mutating_requests(&sim);
    // tmux send-keys is not a bracketed paste: the keys arrive as typing, all at once
    t.type_text(&leaked);
    t.wait_for("acme-transactional");
    let s = t.wait_for("sub leak");
    assert!(s.contains("press d to revoke"), "{s}");
    assert!(!s.contains(&leaked[26..]), "the secret on screen:\n{s}");
    assert_eq!(
        mutating_requests(&sim),
        before,
        "the keystrokes ran nothing"
    );
    t.send_keys(&["d"]);
    t.wait_for("Revoke 1 API key");
    t.wait_for("y revoke"); // its buttons take keys 0.4 s after it opens
    t.send_keys(&["y"]);
    let s = t.wait_for("confirmed dead after");
    assert!(
        s.contains("sub leak") || s.contains("SendGrid refuses"),
        "{s}"
    );
    quit(&t, &dir);
}

/// The acceptance run at 120×40: `d` in the hints, revoking the 10th key leaves the 10th
/// row selected, a key created elsewhere appears by itself (`--refresh 2`), `:ctx` switches.
#[test]
fn k9s_habits_hints_steady_cursor_live_refresh_and_command_line() {
    let Some((dir, sim, t)) = session("sgkeys-e2e-k9s", &[]) else {
        return;
    };
    t.send_line(&format!("{BIN} --refresh 2"));
    t.wait_for("ci-deploy");
    let screen = t.wait_for("updated");
    let hints = screen.lines().nth(39).unwrap_or_default().to_owned();
    assert!(hints.contains("d revoke"), "no `d` in the hints: {hints}");

    // the 10th row, revoked: the 10th row is selected after it
    let (_, total) = list_position(&screen).expect("list position");
    for _ in 0..9 {
        t.send_keys(&["j"]);
    }
    t.wait_for(&format!("10/{total}"));
    let before = sim_keys(&sim);
    t.send_keys(&["d"]);
    t.wait_for("Revoke 1 API key");
    t.wait_for("y revoke"); // its buttons take keys 0.4 s after it opens
    t.send_keys(&["y"]);
    let screen = t.wait_for("revoked '");
    let screen = if list_position(&screen) == Some((10, total - 1)) {
        screen
    } else {
        t.wait_for(&format!("10/{}", total - 1))
    };
    assert_eq!(list_position(&screen), Some((10, total - 1)), "{screen}");
    assert_eq!(sim_keys(&sim).len(), before.len() - 1);

    // a key created elsewhere shows up by itself, no key pressed (at the end of the list, in
    // API order: the count and the toast say so on screen); within a few 2 s intervals, a
    // bound for a loaded machine, not a speed goal (the time taken is printed)
    let args = ["create", "made-elsewhere", "--scope", "stats=read"];
    cli(&sim, &dir, "cli-journal.jsonl", &args);
    let created = Instant::now();
    loop {
        let s = t.screen();
        if s.contains("since the last look: 1 new") && s.contains(&format!("{total} keys")) {
            break;
        }
        assert!(
            created.elapsed() < Duration::from_secs(15),
            "the new key did not appear by itself within 15 s:\n{s}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("the new key appeared after {:?}", created.elapsed());
    // the cursor did not move: still the 10th row; the new key is last
    let s = t.screen();
    assert_eq!(list_position(&s), Some((10, total)), "{s}");
    t.send_keys(&["/"]);
    t.type_text("made-elsewhere");
    t.send_keys(&["Enter"]);
    t.wait_for("made-elsewhere");
    t.send_keys(&["Escape"]);

    // :ctx switches context
    t.send_keys(&[":"]);
    t.type_text("ctx acme-transactional");
    t.send_keys(&["Enter"]);
    t.wait_for("subuser acme-transactional");

    quit(&t, &dir);
}

#[test]
fn rotate_in_the_dashboard_creates_the_replacement_and_revokes_the_old_key_verified_gone() {
    let Some((dir, sim)) = start(&[]) else {
        return;
    };
    let before = list_with_scopes(&sim, &dir);
    let (old_id, (old_name, old_scopes)) = before
        .iter()
        .find(|(_, (n, _))| n == "webhooks: event consumer")
        .map(|(id, v)| (id.clone(), v.clone()))
        .expect("key in demo seed");

    let t = Tmux::start("sgkeys-e2e-rotate", &env_for(&sim, &dir));
    // let the OSC 52 copy land in tmux's buffer (else the copy error stays on the status line)
    let _ = tmux(&t.socket)
        .args(["set", "-s", "set-clipboard", "on"])
        .status();
    t.send_line(BIN);
    t.wait_for("ci-deploy");
    t.wait_for("updated"); // prefetch finished: the scopes are known

    t.send_keys(&["/"]);
    t.type_text("webhooks: event consumer");
    t.send_keys(&["Enter"]);
    t.wait_for("1/");
    // R: the name form, prefilled with the lineage name; Enter creates the replacement
    t.send_keys(&["R"]);
    t.wait_for("(rotated ");
    t.send_keys(&["Enter"]);
    t.wait_for("shown once");
    // copy (OSC 52 in tmux, or a message why not), then close (twice if it was not copied)
    t.send_keys(&["c"]);
    t.send_keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(200));
    if !t.screen().contains("New key deployed?") {
        t.send_keys(&["Escape"]);
    }
    t.wait_for("New key deployed?");
    t.send_keys(&["y"]);
    t.wait_for("verified gone");

    let screen = t.quit();
    assert!(!t.alternate_screen_on(), "{screen}");

    // the old key is gone; its replacement holds the same scopes under the lineage name
    let after = list_with_scopes(&sim, &dir);
    assert!(!after.contains_key(&old_id), "the old key still exists");
    let new: Vec<_> = after
        .iter()
        .filter(|(id, _)| !before.contains_key(*id))
        .collect();
    assert_eq!(new.len(), 1, "one replacement: {new:?}");
    let (_, (new_name, new_scopes)) = new[0];
    assert!(
        new_name.starts_with(&format!("{old_name} (rotated ")),
        "{new_name}"
    );
    let set = |v: &Vec<String>| v.iter().cloned().collect::<std::collections::BTreeSet<_>>();
    assert_eq!(set(new_scopes), set(&old_scopes));
    // journaled: the rotation (replaces the old key) and the revoke, both ok; none pending
    let entries = sgkeys::journal::Journal::new(dir.join("journal.jsonl"))
        .read_all()
        .unwrap();
    let rotate = entries
        .iter()
        .find(|e| e.action == sgkeys::journal::Action::Rotate)
        .expect("rotate journaled");
    assert_eq!(rotate.replaces.as_deref(), Some(old_id.as_str()));
    assert!(
        entries
            .iter()
            .any(|e| e.action == sgkeys::journal::Action::Revoke
                && e.api_key_id == old_id
                && e.result() == sgkeys::journal::Outcome::Ok)
    );
    assert!(sgkeys::journal::Journal::pending_rotations(&entries).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_permission_matrix_sorts_shows_a_cell_sweeps_every_context_and_revokes() {
    let Some((dir, sim, t)) = session("sgkeys-e2e-matrix", &[]) else {
        return;
    };
    t.send_line(BIN);
    t.wait_for("updated");
    t.send_keys(&["m"]);
    t.wait_for("Permission matrix");
    // API Keys is the second column: sort by it, the keys that can mint keys first
    t.send_keys(&["l", "s"]);
    let s = t.wait_for("sorted by API Keys");
    let legend = s
        .lines()
        .find(|l| l.contains("API Keys ·") && l.contains("Full"))
        .unwrap_or_default()
        .to_owned();
    assert!(legend.contains("Partial"), "the legend: {legend}\n{s}");
    // the first key row (after the border, the labels and the two count rows) holds Full there
    let first = s.lines().nth(5).unwrap_or_default();
    assert!(first.contains("[F]"), "first row: {first}\n{s}");
    t.send_keys(&["Enter"]);
    let s = t.wait_for("Keys · API Keys");
    assert!(s.contains("✓ api_keys.create"), "{s}");
    t.send_keys(&["Escape"]);

    // every context in one matrix
    t.send_keys(&["a"]);
    let s = t.wait_for(" contexts, ");
    assert!(s.contains("all contexts ("), "{s}");
    assert!(s.contains("own account"), "{s}");
    t.send_keys(&["a"]);
    t.wait_for("permission matrix of");

    // revoke from the matrix: filter to one key, d, y
    let keys = sim_keys(&sim);
    let names: Vec<&str> = keys.iter().map(|(_, n)| n.as_str()).collect();
    let (victim_id, victim) = keys
        .iter()
        .find(|(_, n)| {
            n.len() > 5
                && !n.contains("sgkeys")
                && names.iter().filter(|m| m.contains(n.as_str())).count() == 1
        })
        .cloned()
        .expect("a key with a unique name");
    t.send_keys(&["/"]);
    t.type_text(&victim);
    t.send_keys(&["Enter"]);
    t.wait_for("1/1");
    t.send_keys(&["d"]);
    t.wait_for("Revoke 1 API key");
    t.wait_for("y revoke"); // its buttons take keys 0.4 s after it opens
    t.send_keys(&["y"]);
    t.wait_for("revoked '");
    assert!(
        !sim_keys(&sim).iter().any(|(id, _)| *id == victim_id),
        "{victim} is still in the simulator"
    );
    t.send_keys(&["Escape", "m"]);
    t.wait_for(" Keys ");
    quit(&t, &dir);
}

/// `--theme auto` asks the terminal for its background (OSC 11). tmux 3.x answers with the
/// pane's own background when one is set (`window-style` or `select-pane -P`; without one a
/// detached tmux does not answer OSC 11 at all, only the DA1 that follows the query): on a white
/// pane the light theme is chosen (the log says so, and the screen's escape codes carry its
/// dark amber 94 instead of the dark theme's yellow 220); on a dark pane, and with no answer,
/// the dark theme. No reply byte reaches the dashboard as keys.
#[test]
fn auto_theme_asks_tmux_for_the_background_and_picks_light_on_white() {
    if no_tmux() {
        return;
    }
    let dir = tempdir();
    let env = demo_env(&dir);
    let cases = [
        (
            Some("bg=#ffffff"),
            "theme: light (auto: the terminal's background is #ffffff",
        ),
        (
            Some("bg=#1e1e1e"),
            "theme: dark (auto: the terminal's background is #1e1e1e",
        ),
        (
            None,
            "theme: dark (auto: the terminal does not answer OSC 11",
        ),
    ];
    for (i, (style, want)) in cases.into_iter().enumerate() {
        let name = format!("sgkeys-e2e-theme-{i}");
        let t = Tmux::start(&name, &env);
        if let Some(style) = style {
            let ok = tmux(&t.socket)
                .args(["set", "-g", "window-style", style])
                .status()
                .expect("tmux set");
            assert!(ok.success());
        }
        let log = dir.join(format!("theme-{i}.log"));
        t.send_line(&format!(
            "{BIN} demo --theme auto --log-file {}",
            log.display()
        ));
        t.wait_for("ci-deploy");
        let screen = t.wait_for("updated");
        let text = std::fs::read_to_string(&log).expect("log");
        let line = text
            .lines()
            .find(|l| l.contains("theme: "))
            .unwrap_or_else(|| panic!("no theme line in the log:\n{text}"));
        assert!(line.contains(want), "{line}");
        assert!(!text.contains("dropped"), "no input lost: {text}");
        // the reply never reached the dashboard as keys: no filter, no command line opened
        assert!(
            !screen.contains("rgb:") && !screen.contains("11;"),
            "{screen}"
        );
        assert!(screen.contains("Keys 45"), "{screen}");
        let coded = tmux(&t.socket)
            .args(["capture-pane", "-p", "-e", "-t", &name])
            .output()
            .expect("capture-pane -e");
        let coded = String::from_utf8_lossy(&coded.stdout);
        let (amber, yellow) = ("38;5;94m", "38;5;220m");
        if i == 0 {
            assert!(
                coded.contains(amber) && !coded.contains(yellow),
                "light theme colours expected:\n{coded}"
            );
        } else {
            assert!(
                coded.contains(yellow) && !coded.contains(amber),
                "dark theme colours expected:\n{coded}"
            );
        }
        t.quit();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The dashboard opens at once from the inventory (rows say how old they are until the live
/// list replaces them), and `sgkeys --offline` opens it from the inventory alone, read-only,
/// after the simulator is stopped.
#[test]
fn dashboard_opens_from_the_inventory_and_offline_after_the_simulator_is_stopped() {
    if no_tmux() {
        return;
    }
    let dir = tempdir();
    // every answer takes 3 s: the inventory's rows are on screen long before the live list
    let sim = Sim::start(&dir, &["--latency-ms", "3000"]);
    let env = env_for(&sim, &dir);
    // one online read fills the inventory
    cli(&sim, &dir, "journal.jsonl", &["list", "--scopes", "--json"]);

    let t = Tmux::start("sgkeys-e2e-inventory", &env);
    t.send_line(BIN);
    // the rows, with the inventory's age beside "refreshing…", before any answer
    let screen = t.wait_for("inventory ");
    assert!(screen.contains("ci-deploy"), "{screen}");
    assert!(screen.contains(" seen "), "{screen}");
    // the live list and the scopes replace them
    let screen = t.wait_for("updated");
    assert!(!screen.contains(" seen "), "{screen}");
    t.quit();
    t.send_line("clear");

    drop(sim);
    t.send_line(&format!("{BIN} --offline"));
    let screen = t.wait_for("offline · read-only · inventory");
    assert!(screen.contains("ci-deploy"), "{screen}");
    assert!(screen.contains("offline"), "{screen}");
    assert!(!screen.contains("Could not load"), "{screen}");
    // a change is refused, not sent
    t.send_keys(&["n"]);
    std::thread::sleep(Duration::from_millis(300));
    t.send_keys(&["Escape"]);
    let screen = t.quit();
    assert!(!t.alternate_screen_on(), "{screen}");
}

/// When the budget is spent, the status line says what the dashboard waits for and how long.
#[test]
fn dashboard_says_when_it_waits_for_the_rate_limit_window() {
    if no_tmux() {
        return;
    }
    let dir = tempdir();
    // 20 requests an 8 s window: the scopes of the demo's 45 keys take three (each reset
    // within the 30 s --timeout, so it is waited for)
    let sim = Sim::start(&dir, &["--rate-limit", "20/8s"]);
    let t = Tmux::start("sgkeys-e2e-ratewait", &env_for(&sim, &dir));
    t.send_line(&format!("{BIN} --no-inventory --timeout 30"));
    let screen = t.wait_for("for the rate-limit window, 20");
    assert!(screen.contains("waiting "), "{screen}");
    t.quit();
}
