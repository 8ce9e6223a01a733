//! Text that arrives at once (issue 21 item 4, issue 25 item 6): each rule, pure.

use super::*;
use crate::app::burst::{BURST_MIN, PASTE_MAX, coalesce};

fn keys_of(s: &str) -> Vec<Msg> {
    s.chars().map(key).collect()
}

fn enter() -> Msg {
    code(KeyCode::Enter)
}

fn is_key(m: &Msg, c: char) -> bool {
    matches!(m, Msg::Key(e) if e.code == KeyCode::Char(c))
}

#[test]
fn a_burst_is_found_and_typing_stays_typing() {
    let k = format!("SG.{}.{}", "A".repeat(22), "q".repeat(43));
    let mut batch = keys_of(&k);
    batch.push(enter());
    batch.push(key('j'));
    let out = coalesce(batch);
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(matches!(&out[0], Msg::Burst { text, enter: true } if *text == k));
    assert!(is_key(&out[1], 'j'));
    // a person's keys (a few per batch at most) stay keys
    let out = coalesce(keys_of("dy"));
    assert!(out.iter().all(|m| matches!(m, Msg::Key(_))));
    // Ctrl-c in the middle is not text: runs shorter than BURST_MIN stay keys
    let mut b = keys_of("abcdefghij");
    b.insert(3, ctrl('c'));
    let out = coalesce(b);
    assert_eq!(out.len(), 11, "{out:?}");
    assert!(out.iter().all(|m| matches!(m, Msg::Key(_))));
}

#[test]
fn one_key_repeated_is_key_repeat() {
    let out = coalesce(keys_of(&"j".repeat(BURST_MIN + 5)));
    assert_eq!(out.len(), BURST_MIN + 5);
    assert!(out.iter().all(|m| is_key(m, 'j')));
    // in the list, every one of them moves the cursor
    let mut app = loaded();
    for m in coalesce(keys_of("jjjjjjjjj")) {
        update(&mut app, m);
    }
    assert_eq!(
        app.view.selected,
        NAMES.len() - 1,
        "9 j's on 8 rows: the last one"
    );
    update(&mut app, key('g'));
    for m in coalesce(keys_of("jjjjj")) {
        update(&mut app, m);
    }
    assert_eq!(app.view.selected, 5);
}

#[test]
fn a_burst_starting_with_slash_opens_the_filter_with_the_rest_typed() {
    let mut app = loaded();
    let mut batch = keys_of("/ci deploy");
    batch.push(enter());
    let msgs = coalesce(batch);
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    for m in msgs {
        update(&mut app, m);
    }
    assert_eq!(app.filter.input.value(), "ci deploy");
    assert!(
        !app.filter.editing,
        "the Enter typed with it kept the filter"
    );
    assert_eq!(app.view.rows.len(), 1);
    assert_eq!(selected_name(&app), "ci deploy");
    // without the Enter the line stays open for more typing
    let mut app = loaded();
    for m in coalesce(keys_of("/marketing")) {
        update(&mut app, m);
    }
    assert!(app.filter.editing);
    assert_eq!(app.filter.input.value(), "marketing");
}

#[test]
fn a_burst_starting_with_the_users_filter_key_opens_the_filter() {
    let mut app = loaded();
    app.keymap = user_keys("filter", "F");
    for m in coalesce(keys_of("Fmarketing")) {
        update(&mut app, m);
    }
    assert!(app.filter.editing);
    assert_eq!(app.filter.input.value(), "marketing");
}

#[test]
fn a_burst_starting_with_colon_runs_that_command_line() {
    let mut app = loaded();
    let mut batch = keys_of(":journal");
    batch.push(enter());
    let mut cmds = Vec::new();
    for m in coalesce(batch) {
        cmds.extend(update(&mut app, m));
    }
    assert!(
        matches!(app.modal, Some(Modal::Journal(_))),
        "{:?}",
        app.modal
    );
    assert!(
        api_cmds(&cmds)
            .iter()
            .any(|(_, op)| *op == ApiOp::ReadJournal)
    );
}

#[test]
fn any_other_burst_is_dropped_with_a_toast_that_says_so() {
    let mut app = loaded();
    let before = app.view.selected;
    let mut batch = keys_of("hello world!!");
    batch.push(enter());
    let mut cmds = Vec::new();
    for m in coalesce(batch) {
        cmds.extend(update(&mut app, m));
    }
    assert!(cmds.is_empty(), "nothing ran: {cmds:?}");
    assert_eq!(app.view.selected, before);
    assert!(app.modal.is_none());
    let t = app.toast.as_ref().expect("a toast");
    assert_eq!(t.level, Level::Warn);
    assert!(
        t.text
            .contains("ignored 14 characters that arrived at once"),
        "{}",
        t.text
    );
    assert!(app.log.iter().any(|l| l.text == t.text), "logged too");
    // in a dialog it says where keys go
    update(&mut app, key('@'));
    for m in coalesce(keys_of("qwertyuiop")) {
        update(&mut app, m);
    }
    assert!(
        matches!(app.modal, Some(Modal::Log(_))),
        "q did not close it"
    );
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("paste keys into the key list")),
        "{:?}",
        app.toast
    );
}

#[test]
fn a_burst_in_a_text_field_is_typed_into_it() {
    let mut app = loaded();
    update(&mut app, key('/'));
    for m in coalesce(keys_of("ci staging")) {
        update(&mut app, m);
    }
    assert_eq!(app.filter.input.value(), "ci staging");
    assert_eq!(app.view.rows.len(), 1);
    // a key-shaped burst in the filter is the key, never text
    let k = format!("SG.{}.{}", id(5).0, "a".repeat(43));
    for m in coalesce(keys_of(&k)) {
        update(&mut app, m);
    }
    assert_eq!(app.filter.input.value(), "");
    assert_eq!(selected_name(&app), "stats");
}

#[test]
fn a_key_inside_other_text_is_found() {
    let mut app = loaded();
    let k = format!("SG.{}.{}", id(3).0, "z".repeat(43));
    update(&mut app, Msg::Paste(format!("SENDGRID_API_KEY=\"{k}\"\n")));
    assert_eq!(selected_name(&app), "billing");
    assert!(app.log.iter().all(|l| !l.text.contains(&k[26..])));
}

#[test]
fn a_huge_paste_is_cut_and_typed_in_one_step() {
    let mut app = loaded();
    update(&mut app, key('/'));
    typed(&mut app, "ab");
    update(&mut app, code(KeyCode::Left));
    let big = "x".repeat(1_000_000) + "\nsecond line";
    update(&mut app, Msg::Paste(big));
    let v = app.filter.input.value();
    assert_eq!(v.chars().count(), 2 + PASTE_MAX);
    assert!(
        v.starts_with("ax") && v.ends_with("xb"),
        "inserted at the cursor"
    );
    assert_eq!(app.filter.input.cursor(), 1 + PASTE_MAX);
    let t = app.toast.as_ref().expect("said");
    assert!(
        t.text.contains("first line only") && t.text.contains("cut to"),
        "{}",
        t.text
    );
    // Esc still clears it
    update(&mut app, code(KeyCode::Esc));
    assert_eq!(app.filter.input.value(), "");
    assert_eq!(app.view.rows.len(), NAMES.len());
}

#[test]
fn a_bracketed_paste_outside_a_field_is_not_silently_dropped() {
    let mut app = loaded();
    let cmds = update(&mut app, Msg::Paste("some notes".into()));
    assert!(cmds.is_empty());
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("ignored a paste of 10 characters")),
        "{:?}",
        app.toast
    );
}

#[test]
fn an_esc_and_a_key_read_together_as_alt_key_are_both_keys() {
    let mut app = loaded();
    update(&mut app, key('/'));
    assert_eq!(app.layer(), Layer::Filter);
    // what a terminal sends for Alt-q is ESC q: Esc leaves the filter line, q quits
    let alt_q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::ALT);
    let cmds = update(&mut app, Msg::Key(alt_q));
    assert_ne!(app.layer(), Layer::Filter);
    assert!(cmds.contains(&Command::Quit), "{cmds:?}");
    // Shift stays with the key: Esc, then G (the last row)
    let mut app = loaded();
    let alt_shift_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::ALT | KeyModifiers::SHIFT);
    update(&mut app, Msg::Key(alt_shift_g));
    assert_eq!(app.view.selected, app.view.rows.len() - 1);
}
