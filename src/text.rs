//! Text on the ground floor, for the CLI and the dashboard alike: the one sanitiser for server
//! text, display widths, truncation, padding, wrapping and plurals. No terminal library here.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Whether a character must never reach a terminal or a file from server text: C0 and C1
/// controls and DEL (escape sequences, bells, carriage returns), bidi embeddings, overrides and
/// isolates (text that displays in another order than it reads), and zero-width or invisible
/// formatting characters (text that hides what it is).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// The one sanitiser for server text (key names, ids, scopes, subuser names, error messages,
/// HTML titles): every [`is_unsafe`] character becomes a visible `�`. Use it before any output,
/// terminal or file.
pub fn clean(s: &str) -> Cow<'_, str> {
    replace_where(s, is_unsafe)
}

/// [`clean`] for text of several lines (reports, messages): newlines and tabs are kept, every
/// other unsafe character becomes `�`.
pub fn clean_block(s: &str) -> Cow<'_, str> {
    replace_where(s, |c| c != '\n' && c != '\t' && is_unsafe(c))
}

/// `s` with every character matching `bad` replaced by `�` (borrowed when there is none).
fn replace_where(s: &str, bad: impl Fn(char) -> bool) -> Cow<'_, str> {
    if s.chars().any(&bad) {
        Cow::Owned(
            s.chars()
                .map(|c| if bad(c) { '\u{fffd}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// JSON text with every unsafe character that JSON itself leaves raw (DEL, C1 controls, bidi and
/// zero-width characters; C0 controls are escaped by any serializer) written as a `\uXXXX`
/// escape: the same value, safe to print.
pub fn json_safe(s: &str) -> Cow<'_, str> {
    // C0 controls are JSON's own whitespace between tokens, and escaped inside strings.
    let escape = |c: char| c >= ' ' && is_unsafe(c);
    if !s.chars().any(escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if escape(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{:04x}", u));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Display width in terminal columns.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// At most `max` columns of `s`, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    Cow::Owned(out)
}

/// Exactly `w` columns: truncated with `…` or padded with spaces on the right.
pub fn pad(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let fill = w.saturating_sub(width(&t));
    let mut out = String::with_capacity(t.len() + fill);
    out.push_str(&t);
    out.extend(std::iter::repeat_n(' ', fill));
    out
}

/// Exactly `w` columns, right-aligned.
pub fn pad_left(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let fill = w.saturating_sub(width(&t));
    let mut out: String = std::iter::repeat_n(' ', fill).collect();
    out.push_str(&t);
    out
}

/// Greedy word wrap to `w` columns; words longer than a line are broken. Never empty.
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    for word in s.split(' ') {
        let ww = width(word);
        if cur_w > 0 && cur_w + 1 + ww <= w {
            cur.push(' ');
            cur.push_str(word);
            cur_w += 1 + ww;
            continue;
        }
        if cur_w > 0 {
            lines.push(std::mem::take(&mut cur));
            cur_w = 0;
        }
        if ww <= w {
            cur.push_str(word);
            cur_w = ww;
        } else {
            for c in word.chars() {
                let cw = char_width(c);
                if cur_w + cw > w && cur_w > 0 {
                    lines.push(std::mem::take(&mut cur));
                    cur_w = 0;
                }
                cur.push(c);
                cur_w += cw;
            }
        }
    }
    if cur_w > 0 || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Like [`wrap`] but at most `max_lines` lines, the last one ending in `…` when text was cut.
pub fn wrap_max(s: &str, w: usize, max_lines: usize) -> Vec<String> {
    let mut lines = wrap(s, w);
    if max_lines > 0 && lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = truncate(&format!("{last}…"), w).into_owned();
        }
    }
    lines
}

/// A horizontal rule.
pub fn rule(w: usize) -> String {
    "─".repeat(w)
}

/// `n thing` / `n things`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The first visible row of a list of `len` rows in `height` rows that keeps `cursor` visible,
/// centred when possible. Pure: no scroll state needed.
pub fn center_offset(cursor: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    cursor.saturating_sub(height / 2).min(len - height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_controls() {
        assert_eq!(clean("a\u{1b}[31mb\n"), "a\u{fffd}[31mb\u{fffd}");
        // C1 (CSI), DEL, bidi override, zero-width space, BOM
        assert_eq!(
            clean("x\u{9b}2J\u{7f}\u{202e}y\u{200b}z\u{feff}"),
            "x\u{fffd}2J\u{fffd}\u{fffd}y\u{fffd}z\u{fffd}"
        );
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn blocks_keep_lines_and_json_keeps_values() {
        assert_eq!(
            clean_block("a\n\tb\u{1b}]0;x\u{7}"),
            "a\n\tb\u{fffd}]0;x\u{fffd}"
        );
        let raw = serde_json::to_string("n\u{9b}\u{202e}\u{1b}").unwrap();
        let safe = json_safe(&raw);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        assert_eq!(json_safe("{\n  \"a\": 1\n}"), "{\n  \"a\": 1\n}");
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, "n\u{9b}\u{202e}\u{1b}");
    }

    #[test]
    fn truncates_and_pads_by_width() {
        assert_eq!(truncate("hello world", 5), "hell…");
        assert_eq!(truncate("hi", 5), "hi");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(pad("日本語", 5), "日本…");
        assert_eq!(pad("日本語", 4), "日… ");
        assert_eq!(width(&pad("日本語テキスト", 6)), 6);
        assert_eq!(pad_left("7", 3), "  7");
    }

    #[test]
    fn wraps() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 3), vec![""]);
        assert_eq!(wrap_max("aa bb cc dd", 5, 1), vec!["aa b…"]);
    }

    #[test]
    fn offsets() {
        assert_eq!(center_offset(0, 100, 10), 0);
        assert_eq!(center_offset(50, 100, 10), 45);
        assert_eq!(center_offset(99, 100, 10), 90);
        assert_eq!(center_offset(3, 5, 10), 0);
        assert_eq!(center_offset(3, 5, 0), 0);
    }
}
