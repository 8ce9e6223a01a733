//! Pastes without bracketed paste: a terminal or multiplexer that does not send bracketed paste
//! delivers a pasted key as keystrokes, which must never run as commands (`q` quits, `t` opens
//! the trim dialog…). A run of printable keystrokes that arrived together, faster than anyone
//! types, is turned back into one paste. The event loop gathers what arrives within a few
//! milliseconds into one batch; a run of [`BURST_MIN`] or more printable keys in a batch is a
//! paste (a trailing Enter belongs to it).

use ratatui::crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};

use super::Msg;

/// The shortest run of printable keys taken for a paste (a SendGrid key is 69).
pub const BURST_MIN: usize = 8;

fn printable(m: &Msg) -> Option<char> {
    match m {
        Msg::Key(k)
            if k.kind != KeyEventKind::Release
                && (k.modifiers - KeyModifiers::SHIFT).is_empty() =>
        {
            match k.code {
                KeyCode::Char(c) if !c.is_control() => Some(c),
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_enter(m: &Msg) -> bool {
    matches!(m, Msg::Key(k) if k.code == KeyCode::Enter && k.modifiers.is_empty())
}

/// The batch with every burst of printable keys replaced by one [`Msg::Paste`].
pub fn coalesce(batch: Vec<Msg>) -> Vec<Msg> {
    let mut out = Vec::with_capacity(batch.len());
    let mut run: Vec<Msg> = Vec::new();
    let mut text = String::new();
    let it = batch.into_iter();
    let flush = |run: &mut Vec<Msg>, text: &mut String, out: &mut Vec<Msg>| {
        if run.len() >= BURST_MIN {
            out.push(Msg::Paste(std::mem::take(text)));
            run.clear();
            true
        } else {
            out.append(run);
            text.clear();
            false
        }
    };
    for m in it {
        if let Some(c) = printable(&m) {
            text.push(c);
            run.push(m);
            continue;
        }
        let was_paste = flush(&mut run, &mut text, &mut out);
        if was_paste && is_enter(&m) {
            continue; // the newline that ended the pasted line
        }
        out.push(m);
    }
    flush(&mut run, &mut text, &mut out);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ratatui::crossterm::event::KeyEvent;

    fn key(c: char) -> Msg {
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    #[test]
    fn a_burst_is_a_paste_and_typing_is_typing() {
        let k = format!("SG.{}.{}", "A".repeat(22), "q".repeat(43));
        let mut batch: Vec<Msg> = k.chars().map(key).collect();
        batch.push(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        batch.push(key('j'));
        let out = coalesce(batch);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(matches!(&out[0], Msg::Paste(p) if *p == k));
        assert!(matches!(&out[1], Msg::Key(e) if e.code == KeyCode::Char('j')));
        // a person's keys (a few per batch at most) stay keys
        let out = coalesce(vec![key('d'), key('y')]);
        assert!(out.iter().all(|m| matches!(m, Msg::Key(_))));
        // Ctrl-c in the middle is not text
        let mut b: Vec<Msg> = "abcdefghij".chars().map(key).collect();
        b.insert(
            3,
            Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        );
        let out = coalesce(b);
        assert_eq!(
            out.len(),
            11,
            "runs shorter than BURST_MIN stay keys: {out:?}"
        );
        assert!(out.iter().all(|m| matches!(m, Msg::Key(_))));
    }
}
