//! The API key read from `key_command`: run with `sh -c` under a time limit, its output
//! capped, never echoed; its stderr (clipped, keys redacted) said when it fails.

use std::time::Duration;

use super::ConfigError;

/// How long the API key command may run (`SGKEYS_KEY_CMD_TIMEOUT`, in seconds, overrides it).
pub const KEY_CMD_TIMEOUT: Duration = Duration::from_secs(30);
/// Most output accepted from the API key command (a key is 69 bytes).
pub const KEY_CMD_MAX_OUTPUT: u64 = 64 * 1024;
/// Most of its stderr kept for an error message (the rest is read and dropped).
const KEY_CMD_MAX_STDERR: u64 = 16 * 1024;

/// The key command's time limit: `SGKEYS_KEY_CMD_TIMEOUT` when it is a positive number of
/// seconds (at most an hour), else [`KEY_CMD_TIMEOUT`].
fn key_cmd_timeout() -> Duration {
    std::env::var("SGKEYS_KEY_CMD_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map_or(KEY_CMD_TIMEOUT, Duration::from_secs_f64)
}

/// Run a key command with `sh -c` and take the first non-empty line of its output. Its output
/// is never echoed; its stderr is shown (clipped, anything key-shaped redacted) when it fails.
pub(super) fn run_key_command(cmd: &str) -> Result<String, ConfigError> {
    run_key_command_within(cmd, key_cmd_timeout())
}

pub(super) fn run_key_command_within(cmd: &str, timeout: Duration) -> Result<String, ConfigError> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::sync::mpsc;

    enum Done {
        Out(std::io::Result<Vec<u8>>),
        Err(Vec<u8>),
    }
    let fail = |m: String| ConfigError::KeyCommand(m);
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run sh: {e}")))?;
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            // Stop at one byte over the cap; dropping the pipe then stops an endless writer.
            let mut buf = Vec::new();
            let r = out
                .take(KEY_CMD_MAX_OUTPUT + 1)
                .read_to_end(&mut buf)
                .map(|_| buf);
            let _ = tx.send(Done::Out(r));
        });
    }
    if let Some(mut err) = child.stderr.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = (&mut err).take(KEY_CMD_MAX_STDERR).read_to_end(&mut buf);
            // Keep draining so a chatty command does not block on a full pipe.
            let _ = std::io::copy(&mut err, &mut std::io::sink());
            let _ = tx.send(Done::Err(buf));
        });
    }
    drop(tx);
    let deadline = std::time::Instant::now() + timeout;
    let mut out: Option<std::io::Result<Vec<u8>>> = None;
    let mut err: Option<Vec<u8>> = None;
    let mut status = None;
    let result = loop {
        if status.is_none() {
            status = child
                .try_wait()
                .map_err(|e| fail(format!("cannot wait for it: {e}")))?;
        }
        match &out {
            Some(Ok(bytes)) if bytes.len() as u64 > KEY_CMD_MAX_OUTPUT => {
                break Err(fail(format!(
                    "api_key_cmd printed more than {}",
                    crate::fsutil::human_size(KEY_CMD_MAX_OUTPUT)
                )));
            }
            Some(Err(e)) => break Err(fail(format!("cannot read its output: {e}"))),
            _ => {}
        }
        if let (Some(status), Some(Ok(_)), Some(_)) = (status, &out, &err) {
            break Ok(status);
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break Err(fail(format!(
                "api_key_cmd did not finish within {}",
                seconds(timeout)
            )));
        }
        match rx.recv_timeout(left.min(Duration::from_millis(10))) {
            Ok(Done::Out(o)) => out = Some(o),
            Ok(Done::Err(e)) => err = Some(e),
            Err(_) => {}
        }
    };
    let status = match result {
        Ok(status) => status,
        Err(e) => {
            // Stop it; its readers end when whatever still holds the pipes exits.
            if status.is_none() {
                let _ = child.kill();
                let _ = child.wait();
            }
            return Err(e);
        }
    };
    if !status.success() {
        let err = String::from_utf8_lossy(err.as_deref().unwrap_or_default());
        // Redact before clipping, so a clipped key cannot slip through half-shown.
        let err = crate::secret::redact_keys(err.trim());
        let err = crate::api::error::clip(&err, 200);
        return Err(fail(format!(
            "exited with {status}{}",
            if err.is_empty() {
                String::new()
            } else {
                format!(": {err}")
            }
        )));
    }
    let out = match out {
        Some(Ok(bytes)) => bytes,
        _ => Vec::new(),
    };
    let text = String::from_utf8_lossy(&out);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| fail("printed nothing".into()))
}

/// `30 s`, `1.5 s`.
pub(super) fn seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}
