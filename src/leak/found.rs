//! Keys found in what a person pastes or a scanner reports (gitleaks JSON, trufflehog JSON
//! lines, any text), read as a person reads it: through terminal colours and string escapes.
//! Each key is held as a [`Secret`], never printed.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use crate::secret::Secret;

/// Where a key was found (a scanner's report gives file, line and commit).
#[derive(Debug, Clone)]
pub struct Sighting {
    pub key: Secret,
    pub file: Option<String>,
    pub line: Option<u64>,
    pub commit: Option<String>,
    /// How many times the same key was found.
    pub count: usize,
    /// When it was first exposed, as far as the report says (the earliest gitleaks `Date` of
    /// its findings: the commit's date), in inventory milliseconds.
    pub since: Option<crate::inventory::Millis>,
}

impl Sighting {
    /// `file:line @commit`, as far as known (`line N` in a report that names no file).
    pub fn place(&self) -> String {
        let mut s = self.file.clone().unwrap_or_default();
        match (self.line, s.is_empty()) {
            (Some(l), true) => s.push_str(&format!("line {l}")),
            (Some(l), false) => s.push_str(&format!(":{l}")),
            (None, _) => {}
        }
        if let Some(c) = &self.commit
            && !c.is_empty()
        {
            let short: String = c.chars().take(10).collect();
            s.push_str(&format!(" @{short}"));
        }
        if s.is_empty() { "-".into() } else { s }
    }
}

/// `text` as a person reads it: the escape sequences that colour a terminal (`ESC [31m`, OSC
/// hyperlinks) are gone, and the escapes of JSON and of most languages' strings (`\n`, `\"`,
/// `\u001b`, `\x1b`, `\033`) stand for what they mean, a line break or tab as a space. Linear
/// in the length of `text`.
pub fn readable(text: &str) -> Cow<'_, str> {
    let text = if text.contains('\\') {
        Cow::Owned(unescape(text))
    } else {
        Cow::Borrowed(text)
    };
    if text.contains(['\u{1b}', '\u{9b}']) {
        Cow::Owned(strip_terminal_codes(&text))
    } else {
        text
    }
}

/// Backslash escapes read as what they stand for; control characters become spaces (ESC is kept
/// for [`strip_terminal_codes`]); a backslash that escapes nothing known stays.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let hex = |h: Option<&str>| h.and_then(|h| u32::from_str_radix(h, 16).ok());
    let visible = |c: char| {
        if c.is_control() && c != '\u{1b}' {
            ' '
        } else {
            c
        }
    };
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let (c, used) = match rest.as_bytes().first() {
            Some(b'n' | b'r' | b't' | b'b' | b'f' | b'v') => (' ', 1),
            Some(b'e') => ('\u{1b}', 1),
            Some(q @ (b'"' | b'\\' | b'/' | b'\'' | b'`')) => (char::from(*q), 1),
            Some(b'0') if rest.starts_with("033") => ('\u{1b}', 3),
            Some(b'u')
                if rest
                    .get(1..5)
                    .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())) =>
            {
                (
                    hex(rest.get(1..5))
                        .and_then(char::from_u32)
                        .map_or('\u{fffd}', visible),
                    5,
                )
            }
            Some(b'x')
                if rest
                    .get(1..3)
                    .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())) =>
            {
                (
                    hex(rest.get(1..3))
                        .and_then(char::from_u32)
                        .map_or(' ', visible),
                    3,
                )
            }
            _ => ('\\', 0),
        };
        out.push(c);
        rest = &rest[used..];
    }
    out.push_str(rest);
    out
}

/// Terminal escape sequences removed: CSI (`ESC [` … final byte, or C1 `CSI`), OSC and the other
/// strings (`ESC ]` … `BEL` or `ESC \`, at most 2 048 characters and never past the next ESC, so
/// an unterminated one cannot swallow a key), and the two- or three-character escapes (an ESC
/// before anything else is dropped alone).
fn strip_terminal_codes(s: &str) -> String {
    const MAX_STRING: usize = 2048;
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['\u{1b}', '\u{9b}']) {
        out.push_str(&rest[..i]);
        let (csi, after) = match rest[i..].strip_prefix('\u{9b}') {
            Some(a) => (true, a),
            None => {
                let a = &rest[i + 1..];
                match a.as_bytes().first() {
                    Some(b'[') => (true, &a[1..]),
                    _ => (false, a),
                }
            }
        };
        rest = if csi {
            // parameters and intermediates (0x20–0x3F), then one final byte (0x40–0x7E)
            let n = after
                .bytes()
                .take_while(|b| (0x20..=0x3f).contains(b))
                .count();
            match after.as_bytes().get(n) {
                Some(b) if (0x40..=0x7e).contains(b) => &after[n + 1..],
                _ => &after[n..],
            }
        } else {
            match after.as_bytes().first() {
                Some(b']' | b'P' | b'X' | b'^' | b'_') => {
                    let body = &after[1..];
                    let window = &body[..floor_char_boundary(body, MAX_STRING)];
                    match window.find(['\u{7}', '\u{1b}']) {
                        Some(j) if body.as_bytes()[j] == 7 => &body[j + 1..],
                        Some(j) if body[j + 1..].starts_with('\\') => &body[j + 2..],
                        Some(j) => &body[j..],
                        // unterminated: only the introducer goes
                        None => body,
                    }
                }
                Some(b'(' | b')' | b'*' | b'+' | b'#' | b'%') => {
                    let mut c = after.char_indices().skip(2);
                    c.next().map_or("", |(j, _)| &after[j..])
                }
                Some(
                    b'7' | b'8' | b'=' | b'>' | b'c' | b'D' | b'E' | b'H' | b'M' | b'N' | b'O'
                    | b'Z' | b'\\',
                ) => &after[1..],
                _ => after,
            }
        };
    }
    out.push_str(rest);
    out
}

/// The largest char boundary of `s` at or below `max`.
fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

/// Every SendGrid-shaped key (`SG.` + 22 + `.` + 43) in `text` as a person reads it
/// ([`readable`]), in order, without repeats. Whatever comes before a key does not matter
/// (`KEY=SG.…`, a quote, the `n` of an escaped line break); after it comes no key character
/// (a longer token is not a key), unless another key starts there.
pub fn keys_in(text: &str) -> Vec<Secret> {
    let text = readable(text);
    let mut seen = HashSet::new();
    candidates(&text)
        .into_iter()
        .filter(|k| seen.insert(k.expose().to_owned()))
        .collect()
}

fn candidates(text: &str) -> Vec<Secret> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let key_char = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let mut i = 0;
    while let Some(pos) = text[i..].find("SG.") {
        let start = i + pos;
        let end = start + crate::secret::KEY_LEN;
        i = start + 3;
        if end > bytes.len() {
            break;
        }
        if end < bytes.len()
            && key_char(bytes[end])
            && !text.get(end..).is_some_and(|t| t.starts_with("SG."))
        {
            continue;
        }
        if let Some(k) = text.get(start..end).and_then(|k| Secret::parse(k).ok()) {
            out.push(k);
            i = end;
        }
    }
    out
}

/// Sightings, one per distinct key, found in linear time.
#[derive(Default)]
struct Found {
    list: Vec<Sighting>,
    index: HashMap<String, usize>,
}

impl Found {
    fn add(
        &mut self,
        key: Secret,
        file: Option<String>,
        line: Option<u64>,
        commit: Option<String>,
    ) {
        self.add_dated(key, file, line, commit, None);
    }

    fn add_dated(
        &mut self,
        key: Secret,
        file: Option<String>,
        line: Option<u64>,
        commit: Option<String>,
        since: Option<crate::inventory::Millis>,
    ) {
        match self.index.get(key.expose()) {
            Some(&i) => {
                let s = &mut self.list[i];
                s.count += 1;
                s.since = match (s.since, since) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            None => {
                self.index.insert(key.expose().to_owned(), self.list.len());
                self.list.push(Sighting {
                    key,
                    file,
                    line,
                    commit,
                    count: 1,
                    since,
                });
            }
        }
    }
}

/// One finding of a gitleaks report: only the fields read (any JSON type, so an odd one never
/// fails the report); the others are skipped unparsed.
#[derive(serde::Deserialize)]
struct GitleaksFinding {
    #[serde(rename = "Secret")]
    secret: Option<serde_json::Value>,
    #[serde(rename = "Match")]
    matched: Option<serde_json::Value>,
    #[serde(rename = "Line")]
    line: Option<serde_json::Value>,
    #[serde(rename = "File")]
    file: Option<serde_json::Value>,
    #[serde(rename = "StartLine")]
    start_line: Option<serde_json::Value>,
    #[serde(rename = "Commit")]
    commit: Option<serde_json::Value>,
    /// The commit's date (RFC 3339).
    #[serde(rename = "Date")]
    date: Option<serde_json::Value>,
}

/// The keys in a scanner's report: a gitleaks JSON report (an array of findings with `Secret`,
/// `Match`, `File`, `StartLine`, `Commit`), trufflehog JSON lines (`Raw`/`RawV2` and
/// `SourceMetadata.Data.<source>.{file,line,commit}`), and then every other key a person reading
/// the file would see (any text, any format: each with its line number). One sighting per
/// distinct key; linear in the size of the report.
pub fn sightings(report: &str) -> Vec<Sighting> {
    let mut found = Found::default();
    let str_of =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    if let Ok(items) = serde_json::from_str::<Vec<GitleaksFinding>>(report) {
        // gitleaks: one JSON array
        for it in &items {
            let text = [&it.secret, &it.matched, &it.line]
                .iter()
                .filter_map(|v| v.as_ref().and_then(|v| v.as_str()))
                .collect::<Vec<_>>()
                .join("\n");
            let since = it
                .date
                .as_ref()
                .and_then(|v| v.as_str())
                .and_then(|d| humantime::parse_rfc3339_weak(d.trim()).ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_millis() as crate::inventory::Millis);
            for key in keys_in(&text) {
                found.add_dated(
                    key,
                    it.file.as_ref().and_then(|v| v.as_str()).map(str::to_owned),
                    it.start_line.as_ref().and_then(serde_json::Value::as_u64),
                    it.commit
                        .as_ref()
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                    since,
                );
            }
        }
    } else {
        // trufflehog: JSON lines (its log lines hold no key)
        for line in report.lines() {
            let line = line.trim();
            if !line.starts_with('{') {
                continue;
            }
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let text = ["Raw", "RawV2", "Redacted"]
                .iter()
                .filter_map(|k| str_of(&v, k))
                .collect::<Vec<_>>()
                .join("\n");
            let meta = v
                .pointer("/SourceMetadata/Data")
                .and_then(|d| d.as_object())
                .and_then(|d| d.values().next())
                .cloned()
                .unwrap_or_default();
            for key in keys_in(&text) {
                found.add(
                    key,
                    str_of(&meta, "file").or_else(|| str_of(&meta, "link")),
                    meta.get("line").and_then(serde_json::Value::as_u64),
                    str_of(&meta, "commit"),
                );
            }
        }
    }
    // every key a person would see that no finding named, at its line
    let named: HashSet<String> = found.index.keys().cloned().collect();
    for (n, line) in report.lines().enumerate() {
        if !line.contains("SG.") && !line.contains('\\') && !line.contains(['\u{1b}', '\u{9b}']) {
            continue;
        }
        for key in keys_in(line) {
            if !named.contains(key.expose()) {
                found.add(key, None, Some(n as u64 + 1), None);
            }
        }
    }
    found.list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> String {
        format!("SG.{}.{}", c.to_string().repeat(22), "x".repeat(43))
    }

    #[test]
    fn finds_keys_in_text_once_each() {
        let a = key('a');
        let text = format!(
            "token={a}, again \"{a}\" and SG.short.one and {}x",
            key('b')
        );
        let found = keys_in(&text);
        assert_eq!(found.len(), 1, "a longer token is not a key");
        assert_eq!(found[0].expose(), a);
        // what comes before does not matter; another key right after does not hide it
        let glued = format!("x{}{}", key('c'), key('d'));
        let found: Vec<String> = keys_in(&glued)
            .iter()
            .map(|k| k.expose().to_owned())
            .collect();
        assert_eq!(found, [key('c'), key('d')]);
    }

    #[test]
    fn keys_are_found_as_a_person_reads_them() {
        let (a, b, c, d) = (key('a'), key('b'), key('c'), key('d'));
        // terminal colours around and inside, an OSC 8 hyperlink, C1 CSI
        let coloured = format!(
            "\u{1b}[1;31m{}\u{1b}[0m{} \u{1b}]8;;http://x\u{1b}\\{b}\u{1b}]8;;\u{7} \u{9b}32m{c}",
            &a[..10],
            &a[10..]
        );
        let found: Vec<String> = keys_in(&coloured)
            .iter()
            .map(|k| k.expose().to_owned())
            .collect();
        assert_eq!(found, [a.clone(), b.clone(), c.clone()]);
        // JSON and shell escapes: a key right after an escaped line break or quote, escaped
        // colour codes
        let escaped =
            format!("\"line\\n{a}\\t\\\"{b}\\\" \\u001b[31m{c}\\u001b[0m \\x1b[1m\\033[2m{d}\"");
        let found: Vec<String> = keys_in(&escaped)
            .iter()
            .map(|k| k.expose().to_owned())
            .collect();
        assert_eq!(found, [a.clone(), b, c, d]);
        // an escaped backslash before an n is a backslash and an n
        assert_eq!(readable("a\\\\nb"), "a\\nb");
        // an unterminated OSC does not swallow what follows
        let open = format!("\u{1b}]0;title {a}");
        assert_eq!(keys_in(&open).len(), 1);
        assert_eq!(readable("x\u{1b}(By"), "xy");
    }

    #[test]
    fn reads_gitleaks_and_trufflehog_reports() {
        let (a, b) = (key('a'), key('b'));
        let gitleaks = format!(
            r#"[{{"Description":"SendGrid API token","StartLine":12,"File":"deploy/.env","Commit":"0123456789abcdef","Secret":"{a}","Match":"SENDGRID_API_KEY={a}","RuleID":"sendgrid-api-token"}},
                {{"StartLine":3,"File":"a.py","Commit":"","Secret":"{a}","Match":"{a}","RuleID":"sendgrid-api-token"}}]"#
        );
        let s = sightings(&gitleaks);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].count, 2);
        assert_eq!(s[0].place(), "deploy/.env:12 @0123456789");
        let truffle = format!(
            "{{\"level\":\"info-0\",\"msg\":\"running source\"}}\n\
             {{\"SourceMetadata\":{{\"Data\":{{\"Git\":{{\"commit\":\"feedbeef\",\"file\":\"cfg/app.yml\",\"line\":7}}}}}},\"DetectorName\":\"SendGrid\",\"Verified\":true,\"Raw\":\"{b}\"}}\n\
             {{\"SourceMetadata\":{{\"Data\":{{\"Filesystem\":{{\"file\":\"/srv/x.env\",\"line\":2}}}}}},\"DetectorName\":\"SendGrid\",\"Raw\":\"{a}\"}}\n"
        );
        let s = sightings(&truffle);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].place(), "cfg/app.yml:7 @feedbeef");
        assert_eq!(s[1].place(), "/srv/x.env:2");
        let text = format!("line one\nexport K={b}\n");
        let s = sightings(&text);
        assert_eq!(s[0].line, Some(2));
    }

    #[test]
    fn a_key_no_finding_names_is_still_found_at_its_line() {
        let (a, c) = (key('a'), key('c'));
        let gitleaks = format!(
            "[{{\"File\":\"x\",\"StartLine\":1,\"Secret\":\"{a}\"}},\n{{\"File\":\"y\",\"Note\":\"also \\u001b[31m{c}\\u001b[0m\"}}]"
        );
        let s = sightings(&gitleaks);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(
            s[0].count, 1,
            "the line of a named key does not count it twice"
        );
        assert_eq!((s[1].key.expose(), s[1].line), (c.as_str(), Some(2)));
    }

    #[test]
    fn many_findings_are_counted_once_each() {
        // 20 000 findings of 10 000 keys: every one found, each counted twice
        let keys: Vec<Secret> = {
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(7);
            (0..10_000).map(|_| Secret::generate(&mut rng)).collect()
        };
        let report: String = keys
            .iter()
            .chain(keys.iter())
            .map(|k| format!("found {}\n", k.expose()))
            .collect();
        let s = sightings(&report);
        assert_eq!(s.len(), 10_000);
        assert!(s.iter().all(|s| s.count == 2));
        assert_eq!(s[9_999].line, Some(10_000));
    }
}
