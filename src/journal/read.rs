//! Reading the journal whole, at any size, in bounded memory: entries are handed out one at a
//! time, oldest first, each intent merged with its newest outcome line.
//!
//! An outcome line nearly always follows its intent closely (the same run writes both); later
//! lines for the same op (a verification, a read-back, a delivery) may come much later. So the
//! file is read twice: the first pass notes, for the few ops whose lines lie more than
//! [`WINDOW`] lines apart, where their newest line is; the second pass holds each intent at
//! most [`WINDOW`] lines to merge its outcome lines, and merges a far op with its newest line
//! read at its offset. Memory: the window, and the ops that are far apart.
//!
//! A line longer than [`MAX_LINE`] is no journal entry: it is skipped (read in pieces, never
//! held whole) with a warning naming it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use serde::Deserialize;

use super::{Entry, Journal, JournalError, Phase};

/// Longest journal line read; an entry is some 400 bytes (a name ≤ 100 characters, scopes).
pub const MAX_LINE: usize = 1024 * 1024;

/// How many lines an intent waits for its outcome lines before it is given out.
pub const WINDOW: u64 = 4096;

/// Warnings kept (the rest are counted).
const MAX_WARNINGS: usize = 100;

/// What identifies a line's op (the rest of the line is not looked at in the first pass).
#[derive(Deserialize)]
struct OpOnly {
    #[serde(default)]
    op: Option<String>,
    #[serde(default)]
    phase: Option<Phase>,
}

/// One line as read: where it starts, its number (from 1), its text (`None`: over
/// [`MAX_LINE`]).
struct Line {
    offset: u64,
    number: u64,
    text: Option<String>,
}

/// Lines of a file up to `limit` bytes, each at most [`MAX_LINE`] bytes held.
struct Lines<R> {
    reader: R,
    offset: u64,
    number: u64,
    limit: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R, limit: u64) -> Self {
        Lines {
            reader,
            offset: 0,
            number: 0,
            limit,
            buf: Vec::new(),
        }
    }

    fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        if self.offset >= self.limit {
            return Ok(None);
        }
        self.buf.clear();
        let start = self.offset;
        let mut over = false;
        let mut ended = false;
        while !ended && self.offset < self.limit {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            let room = (self.limit - self.offset).min(chunk.len() as u64) as usize;
            let chunk = &chunk[..room];
            let (take, used) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    ended = true;
                    (i, i + 1)
                }
                None => (chunk.len(), chunk.len()),
            };
            if !over && self.buf.len() + take <= MAX_LINE {
                self.buf.extend_from_slice(&chunk[..take]);
            } else {
                over = true;
                self.buf.clear();
            }
            self.reader.consume(used);
            self.offset += used as u64;
        }
        if self.offset == start {
            return Ok(None);
        }
        self.number += 1;
        Ok(Some(Line {
            offset: start,
            number: self.number,
            text: (!over).then(|| String::from_utf8_lossy(&self.buf).into_owned()),
        }))
    }
}

/// Warnings for skipped lines, the first [`MAX_WARNINGS`] kept.
#[derive(Default)]
struct Warnings {
    kept: Vec<String>,
    more: usize,
}

impl Warnings {
    fn push(&mut self, w: String) {
        if self.kept.len() < MAX_WARNINGS {
            self.kept.push(w);
        } else {
            self.more += 1;
        }
    }

    fn finish(mut self) -> Vec<String> {
        if self.more > 0 {
            self.kept.push(format!(
                "{} more lines skipped, not journal entries",
                self.more
            ));
        }
        self.kept
    }
}

/// An entry waiting in the window: the line of its intent, and whether it is final (a far op
/// merged with its newest line already).
struct Waiting {
    line: u64,
    entry: Entry,
    final_: bool,
}

impl Journal {
    /// Every entry, oldest first, one at a time (see the module doc); returns the warnings for
    /// lines that were skipped. A missing journal has no entries.
    pub fn for_each(&self, mut f: impl FnMut(Entry)) -> Result<Vec<String>, JournalError> {
        let read_err = |source| JournalError::Read {
            path: self.path.clone(),
            source,
        };
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(read_err(e)),
        };
        // what is there now; lines appended while reading wait for the next read
        let len = file.metadata().map_err(read_err)?.len();
        let far = self.far_ops(&file, len).map_err(read_err)?;
        let mut file = file;
        file.seek(SeekFrom::Start(0)).map_err(read_err)?;
        let mut lines = Lines::new(BufReader::with_capacity(1 << 16, file), len);
        let mut at = std::fs::File::open(&self.path).map_err(read_err)?;
        let mut warnings = Warnings::default();
        let mut window: VecDeque<Waiting> = VecDeque::new();
        // op → its slot in the window, counted from the first entry ever queued
        let mut slots: HashMap<String, u64> = HashMap::new();
        let mut first_slot: u64 = 0;
        // far ops whose intent was seen (their other lines are skipped)
        let mut far_seen: HashSet<String> = HashSet::new();
        while let Some(line) = lines.next_line().map_err(read_err)? {
            while window
                .front()
                .is_some_and(|w| w.line + WINDOW < line.number)
            {
                if let Some(w) = window.pop_front() {
                    if let Some(op) = &w.entry.op
                        && slots.get(op) == Some(&first_slot)
                    {
                        slots.remove(op);
                    }
                    first_slot += 1;
                    f(w.entry);
                }
            }
            let Some(text) = line.text else {
                warnings.push(format!(
                    "{} line {}: skipped, longer than {} KiB (not a journal entry)",
                    self.path.display(),
                    line.number,
                    MAX_LINE / 1024
                ));
                continue;
            };
            if text.trim().is_empty() {
                continue;
            }
            let entry: Entry = match serde_json::from_str(&text) {
                Ok(e) => e,
                Err(e) => {
                    warnings.push(format!(
                        "{} line {}: skipped, not a journal entry ({e})",
                        self.path.display(),
                        line.number
                    ));
                    continue;
                }
            };
            let push = |window: &mut VecDeque<Waiting>, entry: Entry, final_: bool| {
                window.push_back(Waiting {
                    line: line.number,
                    entry,
                    final_,
                });
            };
            match (entry.phase, entry.op.clone()) {
                (Some(Phase::Intent), Some(op)) => match far.get(&op) {
                    Some(&newest) => {
                        far_seen.insert(op);
                        let merged = match read_at(&mut at, newest, len) {
                            Some(last) => merge(&entry, last),
                            None => entry,
                        };
                        push(&mut window, merged, true);
                    }
                    None => {
                        slots.insert(op, first_slot + window.len() as u64);
                        push(&mut window, entry, false);
                    }
                },
                (Some(Phase::Outcome), Some(op)) => {
                    if let Some(&newest) = far.get(&op) {
                        // the intent took (or takes) the newest line; an op with no intent
                        // shows once, as its newest line
                        if !far_seen.contains(&op) && newest == line.offset {
                            push(&mut window, entry, true);
                        }
                        continue;
                    }
                    match slots
                        .get(&op)
                        .and_then(|s| s.checked_sub(first_slot))
                        .map(|i| i as usize)
                    {
                        Some(i) if !window[i].final_ => {
                            window[i].entry = merge(&window[i].entry, entry);
                        }
                        Some(_) => {}
                        None => push(&mut window, entry, false),
                    }
                }
                _ => push(&mut window, entry, false),
            }
        }
        for w in window {
            f(w.entry);
        }
        Ok(warnings.finish())
    }

    /// First pass: the ops whose newest line lies more than [`WINDOW`] lines after their intent
    /// (or that have no intent), with that line's offset.
    fn far_ops(&self, file: &std::fs::File, len: u64) -> std::io::Result<HashMap<String, u64>> {
        let mut lines = Lines::new(BufReader::with_capacity(1 << 16, file), len);
        let mut recent: HashMap<String, u64> = HashMap::new();
        let mut order: VecDeque<(u64, String)> = VecDeque::new();
        let mut far: HashMap<String, u64> = HashMap::new();
        while let Some(line) = lines.next_line()? {
            while order.front().is_some_and(|(n, _)| n + WINDOW < line.number) {
                if let Some((n, op)) = order.pop_front()
                    && recent.get(&op) == Some(&n)
                {
                    recent.remove(&op);
                }
            }
            let Some(text) = line.text else { continue };
            let Ok(o) = serde_json::from_str::<OpOnly>(&text) else {
                continue;
            };
            match (o.phase, o.op) {
                (Some(Phase::Intent), Some(op)) => {
                    recent.insert(op.clone(), line.number);
                    order.push_back((line.number, op));
                }
                (Some(Phase::Outcome), Some(op)) if !recent.contains_key(&op) => {
                    far.insert(op, line.offset);
                }
                _ => {}
            }
        }
        Ok(far)
    }
}

/// The intent's time, everything else from the outcome line (each outcome line is the whole
/// entry as settled; the newest wins).
fn merge(intent: &Entry, outcome: Entry) -> Entry {
    Entry {
        time: intent.time.clone(),
        phase: Some(Phase::Outcome),
        ..outcome
    }
}

/// The entry on the line at `offset` (a far op's newest line).
fn read_at(f: &mut std::fs::File, offset: u64, len: u64) -> Option<Entry> {
    f.seek(SeekFrom::Start(offset)).ok()?;
    let mut lines = Lines::new(BufReader::new(f.by_ref()), len - offset);
    let text = lines.next_line().ok()??.text?;
    serde_json::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Action, Outcome};
    use std::io::Write;

    fn line(op: &str, phase: &str, id: &str, extra: &str) -> String {
        format!(
            r#"{{"time":"t-{op}-{phase}","op":"{op}","phase":"{phase}","base_url":"u","action":"revoke","api_key_id":"{id}","status":null,"ok":false,"source":"cli"{extra}}}"#
        )
    }

    fn collect(j: &Journal) -> (Vec<Entry>, Vec<String>) {
        let mut v = Vec::new();
        let w = j.for_each(|e| v.push(e)).unwrap();
        (v, w)
    }

    #[test]
    fn near_and_far_outcomes_merge_into_their_intent_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let mut text = String::new();
        // op a: intent, near outcome, then a verification far later
        text += &line("a", "intent", "A", "");
        text.push('\n');
        text += &line("a", "outcome", "A", r#","outcome":"ok""#);
        text.push('\n');
        for i in 0..(WINDOW as usize + 50) {
            text += &line(&format!("f{i}"), "intent", "F", "");
            text.push('\n');
            text += &line(&format!("f{i}"), "outcome", "F", r#","outcome":"failed""#);
            text.push('\n');
        }
        text += &line("a", "outcome", "A", r#","outcome":"ok","verified":true"#);
        text.push('\n');
        // an outcome whose intent is not there, and an intent with no outcome
        text += &line("orphan", "outcome", "O", r#","outcome":"ok""#);
        text.push('\n');
        text += &line("open", "intent", "U", "");
        text.push('\n');
        std::fs::write(&p, &text).unwrap();
        let (all, warnings) = collect(&Journal::new(&p));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(all.len(), 1 + WINDOW as usize + 50 + 2);
        assert_eq!(all[0].api_key_id, "A");
        assert_eq!(all[0].time, "t-a-intent", "the intent's time");
        assert_eq!(all[0].verified, Some(true), "the newest line wins");
        assert_eq!(all[0].result(), Outcome::Ok);
        assert!(
            all[1..=WINDOW as usize + 50]
                .iter()
                .all(|e| e.api_key_id == "F" && e.result() == Outcome::Failed)
        );
        assert_eq!(all[all.len() - 2].api_key_id, "O");
        assert!(all[all.len() - 1].unresolved());
        // the same as merging it all in memory
        let legacy = legacy_merge(&text);
        assert_eq!(all, legacy);
    }

    /// The first reader: everything in memory, each outcome merged into its intent.
    fn legacy_merge(text: &str) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        let mut by_op: HashMap<String, usize> = HashMap::new();
        for l in text.lines() {
            let e: Entry = serde_json::from_str(l).unwrap();
            match (e.phase, e.op.clone()) {
                (Some(Phase::Outcome), Some(op)) => match by_op.get(&op) {
                    Some(&i) => out[i] = merge(&out[i], e),
                    None => {
                        by_op.insert(op, out.len());
                        out.push(e)
                    }
                },
                (Some(Phase::Intent), Some(op)) => {
                    by_op.insert(op, out.len());
                    out.push(e);
                }
                _ => out.push(e),
            }
        }
        out
    }

    #[test]
    fn an_overlong_line_is_skipped_with_a_warning_and_the_rest_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let mut f = std::fs::File::create(&p).unwrap();
        writeln!(f, "{}", line("a", "intent", "A", "")).unwrap();
        f.write_all(&vec![b'x'; MAX_LINE + 10]).unwrap();
        f.write_all(b"\n").unwrap();
        writeln!(f, "{}", line("a", "outcome", "A", r#","outcome":"ok""#)).unwrap();
        // a torn last line
        f.write_all(b"{\"time\":").unwrap();
        drop(f);
        let (all, warnings) = collect(&Journal::new(&p));
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].result(), Outcome::Ok);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("line 2") && warnings[0].contains("longer than 1024 KiB"));
        assert!(warnings[1].contains("line 4"));
        assert_eq!(Action::Revoke, all[0].action);
    }
}
