//! `--theme auto`: ask the terminal for its background colour (OSC 11) and pick the dark or the
//! light theme.
//!
//! Before the dashboard takes the screen, in raw mode, we write the OSC 11 query followed by a
//! Primary Device Attributes request (`ESC [ c`). Terminals answer in order and virtually all of
//! them answer DA1, so its reply marks the end: a terminal that ignores OSC 11 costs one round
//! trip, not the whole timeout. Input is read one byte at a time and only until that reply (or
//! the timeout), so no reply byte is left for the dashboard to take for keys; what a person typed
//! in that window (a few milliseconds on a local terminal) cannot be given back to the terminal
//! and is dropped (counted in the log, never logged).
//!
//! The parser ([`scan`], [`parse_colour`]) is pure; [`detect`] does the IO.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::config::ThemeName;

/// OSC 11 "what is your background colour?" (ST-terminated), then DA1.
pub const QUERY: &[u8] = b"\x1b]11;?\x1b\\\x1b[c";

/// How long to wait for the answers: a local terminal answers in well under 10 ms; 100 ms also
/// covers a nearby SSH hop without a noticeable delay before the first frame.
pub const TIMEOUT: Duration = Duration::from_millis(100);

/// Once, at the deadline, a reply that has begun gets this much longer to end (so its tail does
/// not reach the dashboard as keystrokes).
pub const GRACE: Duration = Duration::from_millis(100);

/// Above this relative luminance a background is light. It is the luminance where black and
/// white text have the same WCAG contrast (√(1.05 × 0.05) − 0.05 ≈ 0.179): above it dark text
/// (the light theme's) reads better, below it light text (the dark theme's). Mid-grey #767676
/// (0.18) sits on the line; every background the themes are designed for is far from it.
pub const LIGHT_ABOVE: f64 = 0.179;

/// A colour with channels from 0.0 to 1.0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb {
    pub r: f64,
    pub g: f64,
    pub b: f64,
}

impl Rgb {
    /// WCAG relative luminance.
    pub fn luminance(self) -> f64 {
        crate::ui::theme::relative_luminance(self.r, self.g, self.b)
    }

    /// `#rrggbb`, for the log.
    pub fn hex(self) -> String {
        let c = |v: f64| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        format!("#{:02x}{:02x}{:02x}", c(self.r), c(self.g), c(self.b))
    }
}

/// What the bytes read so far hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scan {
    /// The OSC 11 reply, once its terminator arrived: `Some(None)` when it could not be read.
    pub background: Option<Option<Rgb>>,
    /// The DA1 reply arrived: the terminal has answered all it will.
    pub done: bool,
    /// The bytes end inside a reply (or a lone ESC).
    pub partial: bool,
    /// Bytes that are no reply (keys typed meanwhile).
    pub other: usize,
}

/// Read the terminal's replies out of `buf`: the OSC 11 answer (`ESC ] 11 ; rgb:R/G/B` ended by
/// BEL or ST), the DA1 answer (`ESC [ ? … c`), and anything else.
pub fn scan(buf: &[u8]) -> Scan {
    let mut out = Scan::default();
    let mut i = 0;
    while i < buf.len() {
        if out.done {
            out.other += buf.len() - i;
            break;
        }
        match (buf[i], buf.get(i + 1)) {
            (0x1b, None) => {
                out.partial = true;
                break;
            }
            (0x1b, Some(b']')) => {
                let body_start = i + 2;
                let Some((body_end, next)) = osc_end(buf, body_start) else {
                    out.partial = true;
                    break;
                };
                if let Some(colour) = buf[body_start..body_end].strip_prefix(b"11;") {
                    out.background = Some(parse_colour(colour));
                }
                i = next;
            }
            (0x1b, Some(b'[')) => {
                let params = i + 2;
                let Some(fin) = (params..buf.len()).find(|&j| (0x40..=0x7e).contains(&buf[j]))
                else {
                    out.partial = true;
                    break;
                };
                if buf[params] == b'?' && buf[fin] == b'c' {
                    out.done = true;
                } else {
                    // a key such as an arrow typed meanwhile
                    out.other += fin + 1 - i;
                }
                i = fin + 1;
            }
            _ => {
                out.other += 1;
                i += 1;
            }
        }
    }
    out
}

/// The end of an OSC body starting at `from`: (where the body ends, where the next byte is).
/// Terminators: BEL, ESC `\` (ST) and the 8-bit ST 0x9c.
fn osc_end(buf: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut j = from;
    while j < buf.len() {
        match buf[j] {
            0x07 | 0x9c => return Some((j, j + 1)),
            0x1b if buf.get(j + 1) == Some(&b'\\') => return Some((j, j + 2)),
            _ => j += 1,
        }
    }
    None
}

/// `rgb:RRRR/GGGG/BBBB` (or `rgba:…/AAAA`), 1–4 hex digits per channel, each scaled by its own
/// width (`ff` and `ffff` are both full).
pub fn parse_colour(body: &[u8]) -> Option<Rgb> {
    let text = std::str::from_utf8(body).ok()?;
    let (channels, want) = if let Some(rest) = text.strip_prefix("rgba:") {
        (rest, 4)
    } else {
        (text.strip_prefix("rgb:")?, 3)
    };
    let parts: Vec<&str> = channels.split('/').collect();
    if parts.len() != want {
        return None;
    }
    let channel = |s: &str| -> Option<f64> {
        if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let v = u32::from_str_radix(s, 16).ok()?;
        let max = (1u32 << (4 * s.len())) - 1;
        Some(f64::from(v) / f64::from(max))
    };
    Some(Rgb {
        r: channel(parts[0])?,
        g: channel(parts[1])?,
        b: channel(parts[2])?,
    })
}

/// The theme for a background colour (see [`LIGHT_ABOVE`]).
pub fn theme_for(bg: Rgb) -> ThemeName {
    if bg.luminance() > LIGHT_ABOVE {
        ThemeName::Light
    } else {
        ThemeName::Dark
    }
}

/// What [`detect`] found out.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub theme: ThemeName,
    /// Why, in words for the log.
    pub reason: String,
    /// Input bytes read during the query that were no reply (dropped).
    pub dropped: usize,
}

/// Ask the terminal on stdout for its background colour and pick a theme: dark when there is
/// no terminal or no answer. The terminal must already be in raw mode (the reply is not a line).
pub fn detect() -> Detection {
    let dark = |reason: String| Detection {
        theme: ThemeName::Dark,
        reason,
        dropped: 0,
    };
    let input = match TtyInput::open() {
        Ok(t) => t,
        Err(why) => return dark(why),
    };
    let started = Instant::now();
    let mut out = std::io::stdout();
    if let Err(e) = out.write_all(QUERY).and_then(|()| out.flush()) {
        return dark(format!("the query could not be written: {e}"));
    }
    let mut buf = Vec::with_capacity(64);
    let mut deadline = started + TIMEOUT;
    let mut grace_used = false;
    let mut seen = Scan::default();
    loop {
        let now = Instant::now();
        if now >= deadline {
            if seen.partial && !grace_used {
                grace_used = true;
                deadline = now + GRACE;
                continue;
            }
            break;
        }
        match input.read_byte(deadline - now) {
            Ok(Some(b)) => buf.push(b),
            Ok(None) => continue, // timed out this wait; the loop checks the deadline
            Err(e) => {
                tracing::warn!("reading the terminal's answer failed: {e}");
                break;
            }
        }
        seen = scan(&buf);
        if seen.done {
            break;
        }
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let dropped = seen.other;
    let (theme, reason) = match seen.background {
        Some(Some(bg)) => {
            let lum = bg.luminance();
            let theme = theme_for(bg);
            let cmp = if theme == ThemeName::Light {
                ">"
            } else {
                "≤"
            };
            (
                theme,
                format!(
                    "the terminal's background is {} (luminance {lum:.3} {cmp} {LIGHT_ABOVE}), \
                     answered in {ms:.1} ms",
                    bg.hex()
                ),
            )
        }
        Some(None) => (
            ThemeName::Dark,
            format!("the terminal's OSC 11 answer was not a colour ({ms:.1} ms)"),
        ),
        None if seen.done => (
            ThemeName::Dark,
            format!("the terminal does not answer OSC 11 ({ms:.1} ms)"),
        ),
        None => (
            ThemeName::Dark,
            format!("no answer within {} ms", TIMEOUT.as_millis()),
        ),
    };
    Detection {
        theme,
        reason,
        dropped,
    }
}

/// The terminal's input, as crossterm reads it: stdin when it is a terminal, else `/dev/tty`.
struct TtyInput {
    fd: libc::c_int,
    close: bool,
}

impl TtyInput {
    fn open() -> Result<TtyInput, String> {
        // SAFETY: isatty only inspects the descriptor number.
        if unsafe { libc::isatty(libc::STDOUT_FILENO) } != 1 {
            return Err("stdout is not a terminal".into());
        }
        // SAFETY: as above.
        if unsafe { libc::isatty(libc::STDIN_FILENO) } == 1 {
            return Ok(TtyInput {
                fd: libc::STDIN_FILENO,
                close: false,
            });
        }
        // SAFETY: the path is a NUL-terminated literal; the descriptor is closed on drop.
        let fd = unsafe {
            libc::open(
                c"/dev/tty".as_ptr(),
                libc::O_RDONLY | libc::O_NOCTTY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err("no terminal to read the answer from (/dev/tty)".into());
        }
        Ok(TtyInput { fd, close: true })
    }

    /// One byte, or `None` when `wait` passed first.
    fn read_byte(&self, wait: Duration) -> std::io::Result<Option<u8>> {
        let mut pfd = libc::pollfd {
            fd: self.fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(wait.as_millis().max(1)).unwrap_or(libc::c_int::MAX);
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return if e.kind() == std::io::ErrorKind::Interrupted {
                Ok(None)
            } else {
                Err(e)
            };
        }
        if n == 0 {
            return Ok(None);
        }
        if pfd.revents & libc::POLLIN == 0 {
            return Err(std::io::Error::other("the terminal input closed"));
        }
        let mut byte = 0u8;
        // SAFETY: reads at most one byte into a valid one-byte buffer.
        let r = unsafe { libc::read(self.fd, (&raw mut byte).cast(), 1) };
        match r {
            1 => Ok(Some(byte)),
            0 => Err(std::io::Error::other("the terminal input closed")),
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }
}

impl Drop for TtyInput {
    fn drop(&mut self) {
        if self.close {
            // SAFETY: our own descriptor, closed once.
            unsafe { libc::close(self.fd) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgb(r: f64, g: f64, b: f64) -> Option<Option<Rgb>> {
        Some(Some(Rgb { r, g, b }))
    }

    #[test]
    fn a_bel_terminated_four_digit_answer_then_da1() {
        let s = scan(b"\x1b]11;rgb:ffff/ffff/ffff\x07\x1b[?62;22c");
        assert_eq!(s.background, rgb(1.0, 1.0, 1.0));
        assert!(s.done && !s.partial);
        assert_eq!(s.other, 0);
    }

    #[test]
    fn an_st_terminated_two_digit_answer() {
        let s = scan(b"\x1b]11;rgb:00/80/ff\x1b\\");
        let Some(Some(c)) = s.background else {
            panic!("no colour: {s:?}")
        };
        assert_eq!((c.r, c.b), (0.0, 1.0));
        assert!((c.g - 128.0 / 255.0).abs() < 1e-9);
        assert!(!s.done && !s.partial);
    }

    #[test]
    fn one_and_three_digit_channels_scale_by_their_width_and_rgba_is_read() {
        assert_eq!(
            parse_colour(b"rgb:f/0/8"),
            Some(Rgb {
                r: 1.0,
                g: 0.0,
                b: 8.0 / 15.0
            })
        );
        assert_eq!(
            parse_colour(b"rgb:fff/000/fff"),
            Some(Rgb {
                r: 1.0,
                g: 0.0,
                b: 1.0
            })
        );
        assert_eq!(
            parse_colour(b"rgba:0000/0000/0000/ffff"),
            Some(Rgb {
                r: 0.0,
                g: 0.0,
                b: 0.0
            })
        );
        assert!(parse_colour(b"8-bit ST").is_none());
        // the 8-bit ST terminates too
        assert_eq!(
            scan(b"\x1b]11;rgb:0000/0000/0000\x9c").background,
            rgb(0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn garbage_is_no_colour() {
        for bad in [
            &b"rgb:ffff/ffff"[..],
            b"rgb:fffff/0/0",
            b"rgb:gg/00/00",
            b"rgb://",
            b"#ffffff",
            b"rgb:ff/ff/ff/ff",
            b"\xff\xfe",
            b"",
        ] {
            assert_eq!(parse_colour(bad), None, "{bad:?}");
        }
        let s = scan(b"\x1b]11;nonsense\x07\x1b[?1;2c");
        assert_eq!(s.background, Some(None), "an answer, but not a colour");
        assert!(s.done);
        // another OSC is passed over, not taken for the background
        let s = scan(b"\x1b]10;rgb:ffff/ffff/ffff\x07\x1b[?1;2c");
        assert_eq!(s.background, None);
        assert!(s.done);
    }

    #[test]
    fn partial_answers_are_partial() {
        for part in [
            &b"\x1b"[..],
            b"\x1b]",
            b"\x1b]11;rgb:ffff/ff",
            b"\x1b]11;rgb:ffff/ffff/ffff\x1b",
            b"\x1b]11;rgb:ffff/ffff/ffff\x07\x1b[?62;2",
        ] {
            let s = scan(part);
            assert!(s.partial && !s.done, "{part:?}: {s:?}");
        }
        let s = scan(b"\x1b]11;rgb:ffff/ffff/ffff\x07\x1b[");
        assert_eq!(s.background, rgb(1.0, 1.0, 1.0), "the first reply is whole");
        assert!(s.partial);
    }

    #[test]
    fn keys_typed_meanwhile_are_counted_and_do_not_hide_the_answer() {
        let s = scan(b"jk\x1b[A\x1b]11;rgb:0000/0000/0000\x07q\x1b[?1;2c");
        assert_eq!(s.background, rgb(0.0, 0.0, 0.0));
        assert!(s.done);
        assert_eq!(s.other, 2 + 3 + 1);
        // a terminal without OSC 11 answers DA1 only
        let s = scan(b"\x1b[?1;2c");
        assert_eq!((s.background, s.done), (None, true));
    }

    #[test]
    fn light_and_dark_backgrounds() {
        let t = |hex: &[u8]| parse_colour(hex).map(theme_for);
        assert_eq!(t(b"rgb:ffff/ffff/ffff"), Some(ThemeName::Light));
        assert_eq!(t(b"rgb:fd/f6/e3"), Some(ThemeName::Light)); // solarized light
        assert_eq!(t(b"rgb:ee/ee/ee"), Some(ThemeName::Light));
        assert_eq!(t(b"rgb:0000/0000/0000"), Some(ThemeName::Dark));
        assert_eq!(t(b"rgb:28/2c/34"), Some(ThemeName::Dark)); // one dark
        assert_eq!(t(b"rgb:00/2b/36"), Some(ThemeName::Dark)); // solarized dark
        assert_eq!(t(b"rgb:80/80/80"), Some(ThemeName::Light)); // #808080: 0.216
        assert_eq!(t(b"rgb:60/60/60"), Some(ThemeName::Dark)); // #606060: 0.117
    }
}
