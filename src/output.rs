//! Output formats for the CLI and reports, on a low floor: plain-text tables, CSV and JSON.
//! Every cell of server text goes through [`crate::text::clean`].

use std::io::{IsTerminal, Write};

use unicode_width::UnicodeWidthStr;

pub use crate::text::clean;

/// Widest a table cell may be, in columns: a longer one (a 10 000-character name) ends in `…`.
/// JSON and CSV keep the whole value.
pub const CELL_MAX: usize = 60;
/// Widest the last column may be (it is not padded, so it costs only its own line).
pub const LAST_CELL_MAX: usize = 200;

/// Left-aligned columns separated by two spaces; the last column is not padded. Cells are
/// cleaned ([`clean`]) and cut to [`CELL_MAX`] columns ([`LAST_CELL_MAX`] for the last).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let n = headers.len();
    let cell = |i: usize, c: &str| -> String {
        let max = if i + 1 == n { LAST_CELL_MAX } else { CELL_MAX };
        crate::text::truncate(&clean(c), max).into_owned()
    };
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().enumerate().map(|(i, c)| cell(i, c)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in &rows {
        for (i, c) in row.iter().enumerate().take(n) {
            widths[i] = widths[i].max(c.width());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            l.push_str(c);
            if i + 1 < cells.len() {
                l.push_str(&" ".repeat(widths[i].saturating_sub(c.width()) + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&headers.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
    for row in &rows {
        line(row);
    }
    out
}

/// One CSV record (RFC 4180 quoting).
pub fn csv_row<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = csv_text(&clean(f.as_ref()));
        let f = f.as_str();
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push('\n');
    out
}

/// Text a spreadsheet would run as a formula gets a leading quote (OWASP CSV injection).
/// [`csv_row`] applies it to every field (an id or a scope can start with `-` or `=` too).
pub fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// Pretty JSON text, safe to print ([`crate::text::json_safe`]).
pub fn json_text<T: serde::Serialize>(value: &T) -> std::io::Result<String> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    Ok(crate::text::json_safe(&text).into_owned())
}

/// Print pretty JSON to stdout (see [`out_text`] for a closed pipe).
pub fn print_json<T: serde::Serialize>(value: &T) -> std::io::Result<()> {
    let mut text = json_text(value)?;
    text.push('\n');
    write_out(&mut std::io::stdout().lock(), &text)
}

/// Write text output; a closed pipe (`sgkeys list | head -1`) ends the process quietly with
/// success, as coreutils do.
fn write_out(w: &mut impl Write, text: &str) -> std::io::Result<()> {
    match w.write_all(text.as_bytes()).and_then(|()| w.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other,
    }
}

/// Text for stdout: server text inside is cleaned ([`crate::text::clean_block`]).
pub fn out_text(text: &str) {
    let _ = write_out(
        &mut std::io::stdout().lock(),
        &crate::text::clean_block(text),
    );
}

/// Text for stderr: cleaned, and anything shaped like a SendGrid key redacted (a message never
/// carries a secret).
pub fn err_text(text: &str) {
    let text = crate::secret::redact_keys(&crate::text::clean_block(text));
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes()).and_then(|()| e.flush());
}

/// `println!` for the CLI: through [`out_text`].
#[macro_export]
macro_rules! outln {
    () => { $crate::output::out_text("\n") };
    ($($t:tt)*) => { $crate::output::out_text(&format!("{}\n", format_args!($($t)*))) };
}

/// `print!` for the CLI: through [`out_text`].
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::output::out_text(&format!($($t)*)) };
}

/// `eprintln!` for the CLI: through [`err_text`].
#[macro_export]
macro_rules! errln {
    () => { $crate::output::err_text("\n") };
    ($($t:tt)*) => { $crate::output::err_text(&format!("{}\n", format_args!($($t)*))) };
}

/// `eprint!` for the CLI: through [`err_text`].
#[macro_export]
macro_rules! err {
    ($($t:tt)*) => { $crate::output::err_text(&format!($($t)*)) };
}

/// A one-line progress counter on stderr, only when stderr is a terminal.
pub struct Progress {
    label: String,
    total: usize,
    done: usize,
    live: bool,
}

impl Progress {
    pub fn new(label: &str, total: usize) -> Self {
        let live = std::io::stderr().is_terminal() && total > 1;
        let p = Progress {
            label: label.to_owned(),
            total,
            done: 0,
            live,
        };
        p.draw();
        p
    }
    pub fn done(&self) -> usize {
        self.done
    }
    pub fn tick(&mut self) {
        self.done += 1;
        self.draw();
    }
    fn draw(&self) {
        if self.live {
            let width = 24;
            let filled = (self.done * width)
                .checked_div(self.total)
                .unwrap_or(width)
                .min(width);
            eprint!(
                "\r{} [{}{}] {}/{}",
                self.label,
                "#".repeat(filled),
                " ".repeat(width - filled),
                self.done,
                self.total
            );
        }
    }
    pub fn finish(&self) {
        if self.live {
            eprint!("\r\x1b[2K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_strip_control_characters() {
        let t = table(
            &["ID", "NAME"],
            &[
                vec!["a".into(), "x\x1b[31m".into()],
                vec!["bbb".into(), "y".into()],
            ],
        );
        assert_eq!(t, "ID   NAME\na    x�[31m\nbbb  y\n");
    }

    #[test]
    fn csv_quotes_and_neutralises_formulas() {
        assert_eq!(csv_row(&["a", "b,c", "d\"e"]), "a,\"b,c\",\"d\"\"e\"\n");
        assert_eq!(csv_text("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_text("ci"), "ci");
    }
}
