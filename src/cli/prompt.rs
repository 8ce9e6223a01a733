//! Asking the person at the terminal: a secret read with echo off (as `ssh` and `sudo` read
//! passwords: Enter submits), and a confirmation asked on the controlling terminal (`/dev/tty`)
//! when stdin is a pipe, so `pbpaste | sgkeys revoke --leaked` can still ask.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};

/// Why nobody could be asked.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("there is no terminal to ask on")]
    NoTerminal,
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The controlling terminal, for reading and writing.
fn tty() -> Result<File, PromptError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| PromptError::NoTerminal)
}

/// Echo and signal keys off on `fd` until dropped (restored even on error). Ctrl-C then arrives
/// as a byte and cancels the read instead of killing the process with echo off.
#[cfg(unix)]
struct Quiet {
    fd: i32,
    saved: libc::termios,
}

#[cfg(unix)]
impl Quiet {
    fn new(fd: i32) -> std::io::Result<Quiet> {
        // SAFETY: termios is plain data; tcgetattr fills it for a valid fd or fails.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut quiet = saved;
        quiet.c_lflag &= !(libc::ECHO | libc::ISIG);
        quiet.c_lflag |= libc::ICANON;
        // SAFETY: a valid fd and a termios derived from its own settings.
        if unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &quiet) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Quiet { fd, saved })
    }
}

#[cfg(unix)]
impl Drop for Quiet {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new` on the same fd.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSAFLUSH, &self.saved);
        }
    }
}

/// Read one line from the terminal without echoing it. Enter submits; Ctrl-C or Ctrl-D on an
/// empty line cancels.
pub fn read_hidden(prompt: &str) -> Result<String, PromptError> {
    let mut t = tty()?;
    // Quiet before the prompt shows (as getpass does): a paste that follows the prompt at once
    // must neither echo nor be flushed half-way by the switch.
    #[cfg(unix)]
    let guard = {
        use std::os::fd::AsRawFd;
        Quiet::new(t.as_raw_fd())?
    };
    t.write_all(prompt.as_bytes())?;
    t.flush()?;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    let result = loop {
        match t.read(&mut byte) {
            Ok(0) => {
                break if line.is_empty() {
                    Err(PromptError::Cancelled)
                } else {
                    Ok(())
                };
            }
            Ok(_) => match byte[0] {
                b'\n' | b'\r' => break Ok(()),
                3 => break Err(PromptError::Cancelled),
                4 if line.is_empty() => break Err(PromptError::Cancelled),
                b => {
                    if line.len() < 4096 {
                        line.push(b);
                    }
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(PromptError::Io(e)),
        }
    };
    #[cfg(unix)]
    drop(guard);
    let _ = t.write_all(b"\n");
    result?;
    Ok(String::from_utf8_lossy(&line).trim().to_owned())
}

/// Ask a question and read one line of answer: on stdin when it is a terminal, else on the
/// controlling terminal; `NoTerminal` when there is neither.
pub fn ask(question: &str) -> Result<String, PromptError> {
    if std::io::stdin().is_terminal() {
        crate::err!("{question}");
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim().to_owned());
    }
    let mut t = tty()?;
    t.write_all(crate::text::clean_block(question).as_bytes())?;
    t.flush()?;
    let mut line = String::new();
    BufReader::new(t).read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

/// Whether a person could be asked at all (stdin or the controlling terminal).
pub fn can_ask() -> bool {
    std::io::stdin().is_terminal() || tty().is_ok()
}
