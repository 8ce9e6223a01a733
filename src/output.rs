//! Output formats for the CLI and reports, on a low floor: plain-text tables, CSV and JSON.
//! Every cell of server text goes through [`crate::text::clean`].

use std::io::{IsTerminal, Write};

use unicode_width::UnicodeWidthStr;

pub use crate::text::clean;

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let n = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(n) {
            widths[i] = widths[i].max(clean(cell).width());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<String>| {
        let mut l = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                l.push_str(cell);
            } else {
                l.push_str(cell);
                l.push_str(&" ".repeat(widths[i].saturating_sub(cell.width()) + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(headers.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        line(row.iter().map(|c| clean(c).into_owned()).collect());
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
        let f = f.as_ref();
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
/// For free text such as key names; ids are never changed.
pub fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// Print pretty JSON to stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
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
