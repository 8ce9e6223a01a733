//! Terminal lifecycle and the event loop. The entry points that open the dashboard (`sgkeys`,
//! `sgkeys demo`) are in `cli/dashboard.rs`; this module knows nothing of the command line.
//!
//! One loop owns the [`App`]: terminal events and worker answers arrive on one channel; each
//! batch is applied with the pure `update`, commands go to the worker (or the terminal, for
//! clipboard copies), and a frame is drawn only when something changed. With nothing pending it
//! sleeps: no ticks, no redraws.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event as TermEvent, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use tokio::signal::unix::SignalKind;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::api::{CallRecord, Client, Observer};
use crate::app::{self, App, Command, Context, Msg};
use crate::config::{ThemeChoice, ThemeName};
use crate::journal::Journal;
use crate::worker::Worker;

/// Everything that wakes the loop.
enum Event {
    Term(TermEvent),
    Api(app::ApiEvent),
    Call(CallRecord),
    /// Keystrokes that arrived together ([`app::burst`]).
    Burst {
        text: String,
        enter: bool,
    },
    InputClosed,
    /// SIGTERM, SIGHUP, SIGINT or SIGQUIT (the number): quit, exit 128 + number.
    Signal(i32),
}

/// The signals that end the dashboard like `q` does (terminal restored, changes in flight
/// waited for), but with exit code 128 + the signal number.
const QUIT_SIGNALS: [i32; 4] = [libc::SIGTERM, libc::SIGHUP, libc::SIGINT, libc::SIGQUIT];

/// One task per quit signal, each sending [`Event::Signal`] into the loop's channel. From here
/// on these signals no longer kill the process; the loop decides.
fn forward_signals(tx: &mpsc::UnboundedSender<Event>) -> Vec<JoinHandle<()>> {
    QUIT_SIGNALS
        .iter()
        .filter_map(
            |&num| match tokio::signal::unix::signal(SignalKind::from_raw(num)) {
                Ok(mut stream) => {
                    let tx = tx.clone();
                    Some(tokio::spawn(async move {
                        while stream.recv().await.is_some() {
                            if tx.send(Event::Signal(num)).is_err() {
                                break;
                            }
                        }
                    }))
                }
                Err(e) => {
                    tracing::warn!("cannot handle signal {num}: {e}");
                    None
                }
            },
        )
        .collect()
}

/// Exit code for a quit signal: 128 + its number (143 TERM, 129 HUP, 130 INT, 131 QUIT).
fn signal_exit_code(num: i32) -> u8 {
    u8::try_from(128 + num).unwrap_or(u8::MAX)
}

/// Ctrl-Z: hand the terminal back, stop the process (as a shell job), and take the terminal
/// again on `fg`, with a full redraw.
fn is_suspend_key(k: &KeyEvent) -> bool {
    k.kind != KeyEventKind::Release
        && k.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(k.code, KeyCode::Char('z' | 'Z'))
}

fn suspend(terminal: &mut DefaultTerminal, mouse: bool) -> std::io::Result<()> {
    restore_terminal(mouse);
    tracing::info!("suspended (Ctrl-Z)");
    // SAFETY: raise() only sends a signal to the calling thread; SIGTSTP's default action
    // stops the whole process until SIGCONT, after which raise() returns.
    let rc = unsafe { libc::raise(libc::SIGTSTP) };
    if rc != 0 {
        tracing::warn!("raise(SIGTSTP) failed");
    }
    tracing::info!("resumed");
    enable_raw_mode()?;
    let mut out = std::io::stdout();
    execute!(
        out,
        EnterAlternateScreen,
        EnableBracketedPaste,
        Clear(ClearType::All)
    )?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    // Force a full redraw: with both buffers blank the next draw writes every cell. (Not
    // `terminal.clear()`: it asks the terminal for the cursor position, and that answer would
    // wait behind the input stream's read until the next key press.)
    terminal.swap_buffers();
    Ok(())
}

/// How the wait for the worker on the way out ended.
enum Drain {
    Done,
    TimedOut,
    /// Another quit signal (e.g. Ctrl-C in the now cooked terminal) cut the wait short.
    Interrupted(i32),
}

/// Wait (at most `limit`) for the worker to finish its mutations in flight; a quit signal ends
/// the wait early, as it would have killed the process before signals were handled.
async fn drain_worker<T>(
    worker: &mut JoinHandle<T>,
    rx: &mut mpsc::UnboundedReceiver<Event>,
    limit: Duration,
) -> Drain {
    let wait = async {
        let mut rx_open = true;
        loop {
            tokio::select! {
                _ = &mut *worker => return Drain::Done,
                ev = rx.recv(), if rx_open => match ev {
                    Some(Event::Signal(num)) => return Drain::Interrupted(num),
                    Some(_) => {}
                    None => rx_open = false,
                },
            }
        }
    };
    tokio::time::timeout(limit, wait)
        .await
        .unwrap_or(Drain::TimedOut)
}

/// How to open the dashboard.
pub struct DashOptions {
    pub ctx: Context,
    pub journal: Option<Journal>,
    /// Where what the dashboard reads and writes is recorded (none: nothing is kept).
    pub inventory: Option<crate::inventory::Recorder>,
    /// `auto` is decided here, before the alternate screen, by asking the terminal.
    pub theme: ThemeChoice,
    pub mouse: bool,
    pub log_file: PathBuf,
    /// Re-read the key list every this many seconds; 0: only on Ctrl-r.
    pub refresh_secs: u64,
    /// The keys: the standard table, or with the config's `[keys]` in place.
    pub keymap: &'static crate::app::keymap::Keymap,
    /// The inventory the dashboard opens from (and, offline, shows alone).
    pub recall: Option<crate::worker::Recall>,
}

/// Whether requests wait for the rate-limit window now: the budget the answers gave is spent
/// while requests are under way (the gate holds the next ones until the reset).
fn rate_wait(client: &Client, busy: bool) -> Option<app::RateWait> {
    if !busy {
        return None;
    }
    let b = client.budget()?;
    if b.remaining > 0 {
        return None;
    }
    let left = b.reset? - client.server_now();
    (left > 0.0).then(|| app::RateWait {
        secs: left.ceil() as u64,
        limit: (b.limit != u64::MAX).then_some(b.limit),
        period_secs: client.rate_period(),
    })
}

/// The loop's one channel, made before the API client so that the client's observer can feed
/// every HTTP exchange into it (for the `@` log).
pub struct Wiring {
    tx: mpsc::UnboundedSender<Event>,
    rx: mpsc::UnboundedReceiver<Event>,
}

impl Wiring {
    pub fn new() -> Wiring {
        let (tx, rx) = mpsc::unbounded_channel();
        Wiring { tx, rx }
    }

    /// For [`crate::api::ClientOptions::observer`].
    pub fn observer(&self) -> Observer {
        let tx = self.tx.clone();
        Arc::new(move |rec: &CallRecord| {
            let _ = tx.send(Event::Call(rec.clone()));
        })
    }
}

impl Default for Wiring {
    fn default() -> Self {
        Wiring::new()
    }
}

/// Logging for the dashboard goes to a file (never to the screen), without colour codes.
fn init_file_logging(path: &Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    // created 0600; an existing log readable by others is tightened
    let Ok((file, _)) = crate::fsutil::create_private_append(path) else {
        return;
    };
    let filter = crate::logging::filter("info");
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// The theme to draw with: the one asked for, or for `auto` the terminal's answer to OSC 11
/// ([`crate::termbg`]). Leaves raw mode on when it asked (the dashboard turns it on anyway).
fn pick_theme(choice: ThemeChoice) -> ThemeName {
    if let Some(t) = choice.fixed() {
        tracing::info!(
            "theme: {} (set by --theme, SGKEYS_THEME, the profile, --no-color or NO_COLOR)",
            t.as_str()
        );
        return t;
    }
    if let Err(e) = enable_raw_mode() {
        tracing::info!("theme: dark (auto: no raw mode to ask the terminal: {e})");
        return ThemeName::Dark;
    }
    let found = crate::termbg::detect();
    tracing::info!("theme: {} (auto: {})", found.theme.as_str(), found.reason);
    if found.dropped > 0 {
        tracing::info!(
            "{} byte(s) typed while the terminal was asked for its background were dropped",
            found.dropped
        );
    }
    found.theme
}

/// Leave the terminal as we found it (also used by the panic hook, quit signals and Ctrl-Z).
fn restore_terminal(mouse: bool) {
    let mut out = std::io::stdout();
    if mouse {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(out, DisableBracketedPaste, Show);
    if let Err(e) = ratatui::try_restore() {
        tracing::warn!("restoring the terminal failed: {e}");
    }
}

/// Any panic, in any thread (the worker's too): restore the terminal, log, exit 1.
fn install_panic_hook(mouse: bool, log_file: PathBuf) {
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal(mouse);
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        tracing::error!("panic{location}: {message}");
        let _ = writeln!(
            std::io::stderr(),
            "sgkeys: internal error{location}: {message}\nThe terminal was restored. Log: {}",
            log_file.display()
        );
        std::process::exit(1);
    }));
}

/// Copy text to the clipboard with OSC 52, in the form the terminal in front of us accepts, and
/// say truthfully what happened. Inside tmux, a program's OSC 52 is taken only with tmux's
/// `set-clipboard on` (it then fills a tmux buffer and passes the copy on to the outer terminal);
/// with `external` or `off` it is dropped, so that is reported as not copied. Outside tmux the
/// sequence goes to the terminal, which cannot say whether it allowed it.
fn copy_to_clipboard(text: &str) -> Result<String, String> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    let seq = format!("\x1b]52;c;{b64}\x07");
    let how = if std::env::var_os("TMUX").is_some() {
        let setting = std::process::Command::new("tmux")
            .args(["show-options", "-sv", "set-clipboard"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
        match setting.as_deref() {
            Some("on") => "copied into tmux's paste buffer (and the terminal's clipboard, where \
                           tmux and the terminal pass it on)"
                .to_owned(),
            Some(other) => {
                return Err(format!(
                    "not copied: tmux's set-clipboard is '{}', so tmux drops programs' copies; \
                     run `tmux set -s set-clipboard on`, or select it with the mouse",
                    crate::text::clean(other)
                ));
            }
            None => "sent to tmux as OSC 52 (tmux could not be asked whether it takes it: check \
                     with `tmux show-buffer`)"
                .to_owned(),
        }
    } else {
        "sent to the terminal's clipboard (OSC 52); if your terminal does not allow OSC 52, \
         select it with the mouse"
            .to_owned()
    };
    let mut out = std::io::stdout();
    out.write_all(seq.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("not copied: {e}"))?;
    Ok(how)
}

/// Test hook: `SGKEYS_TEST_PANIC=worker` panics in a background task (as a worker bug would),
/// `=ui` panics on the next key press; proves the panic hook restores the terminal and exits 1.
fn test_panic_hook() {
    match std::env::var("SGKEYS_TEST_PANIC").as_deref() {
        Ok("worker") => {
            tokio::spawn(async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                panic!("test panic in a background task (SGKEYS_TEST_PANIC=worker)");
            });
        }
        Ok("ui") => TEST_PANIC_UI.store(true, std::sync::atomic::Ordering::Relaxed),
        _ => {}
    }
}

/// Runs of keystrokes in a batch that no person could type that fast become one burst
/// ([`app::burst`]); everything else keeps its place.
fn coalesce_keys(batch: Vec<Event>) -> Vec<Event> {
    let mut out = Vec::with_capacity(batch.len());
    let mut keys: Vec<Msg> = Vec::new();
    let flush = |keys: &mut Vec<Msg>, out: &mut Vec<Event>| {
        for m in app::burst::coalesce(std::mem::take(keys)) {
            match m {
                Msg::Key(k) => out.push(Event::Term(TermEvent::Key(k))),
                Msg::Burst { text, enter } => out.push(Event::Burst { text, enter }),
                _ => {}
            }
        }
    };
    for ev in batch {
        match ev {
            Event::Term(TermEvent::Key(k)) if !is_suspend_key(&k) => keys.push(Msg::Key(k)),
            other => {
                flush(&mut keys, &mut out);
                out.push(other);
            }
        }
    }
    flush(&mut keys, &mut out);
    out
}

/// The local clock as of now: Unix time at `now_ms` 0 and the UTC offset (from the C library's
/// `localtime_r`, which reads `TZ` and the system zone once here; `update` never reads a clock).
fn local_clock(elapsed_ms: u64) -> app::Clock {
    let unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let t = (unix_ms / 1000) as libc::time_t;
    // SAFETY: `tm` is plain data that localtime_r fills; both pointers are valid for the call.
    let offset = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            0
        } else {
            #[allow(clippy::useless_conversion)] // c_long is i32 on 32-bit targets
            i64::from(tm.tm_gmtoff)
        }
    };
    app::Clock {
        start_unix_ms: unix_ms.saturating_sub(elapsed_ms),
        utc_offset_s: offset,
    }
}

fn io_err(msg: String) -> std::io::Error {
    std::io::Error::other(msg)
}

static TEST_PANIC_UI: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Run the dashboard until the user quits (exit code 0), or a quit signal ends it (128 + the
/// signal number). Errors are the terminal's (it could not be opened, drawn or resumed).
pub async fn run_dashboard(
    client: Client,
    opts: DashOptions,
    wiring: Wiring,
) -> std::io::Result<u8> {
    let Wiring { tx, mut rx } = wiring;
    init_file_logging(&opts.log_file);
    let started = Instant::now();
    // From here on TERM, HUP, INT and QUIT end the loop instead of the process.
    let signals = forward_signals(&tx);
    let theme = pick_theme(opts.theme);
    let mut terminal = ratatui::try_init().map_err(|e| {
        let _ = disable_raw_mode();
        io_err(format!("cannot open the terminal: {e}"))
    })?;
    install_panic_hook(opts.mouse, opts.log_file.clone());
    let _ = execute!(std::io::stdout(), EnableBracketedPaste);
    if opts.mouse {
        let _ = execute!(std::io::stdout(), EnableMouseCapture);
    }

    let mut app = App::new(opts.ctx.clone());
    app.theme = theme;
    app.mouse = opts.mouse;
    app.keymap = opts.keymap;
    app.offline = opts.recall.as_ref().is_some_and(|r| r.offline);
    app.remembers = opts.recall.is_some();
    app.live.every_ms = opts.refresh_secs.saturating_mul(1000);
    app.clock = local_clock(started.elapsed().as_millis() as u64);
    if let Ok(size) = terminal.size() {
        app.size = (size.width, size.height);
    }

    // Input: crossterm's async stream into the one channel; ends when the loop is gone.
    let input_tx = tx.clone();
    let input = tokio::spawn(async move {
        let mut stream = EventStream::new();
        while let Some(ev) = stream.next().await {
            let ev = match ev {
                Ok(ev) => Event::Term(ev),
                Err(_) => Event::InputClosed,
            };
            if input_tx.send(ev).is_err() {
                break;
            }
        }
        let _ = input_tx.send(Event::InputClosed);
    });

    // Worker: commands in, answers out (into the same channel).
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel::<app::ApiEvent>();
    let forward_tx = tx.clone();
    let forward = tokio::spawn(async move {
        while let Some(ev) = ev_rx.recv().await {
            if forward_tx.send(Event::Api(ev)).is_err() {
                break;
            }
        }
    });
    // the budget, to say when requests wait for the rate-limit window
    let gate = client.clone();
    let worker = Worker {
        client,
        journal: opts.journal.clone(),
        read_only: opts.ctx.read_only,
        inventory: opts.inventory.clone(),
        recall: opts.recall.clone(),
    };
    let mut worker = tokio::spawn(worker.run(cmd_rx, Arc::new(ev_tx)));
    drop(tx);

    // Commands go to the worker; a copy is done here, and its result goes back to the app.
    let dispatch = |app: &mut App, cmds: Vec<Command>| {
        let mut queue = cmds;
        while !queue.is_empty() {
            let mut next = Vec::new();
            for c in queue {
                match c {
                    Command::Copy { text, what } => {
                        let result = copy_to_clipboard(text.expose());
                        next.extend(app::update(app, Msg::Copied { what, result }));
                    }
                    other => {
                        let _ = cmd_tx.send(other);
                    }
                }
            }
            queue = next;
        }
    };
    let cmds = app::init(&mut app);
    dispatch(&mut app, cmds);
    test_panic_hook();

    let mut first_frame = true;
    // when the first frame was drawn; cleared once every key's risk marker is on screen
    let mut first_frame_at: Option<Instant> = None;
    let mut risk_logged = false;
    let mut dirty = true;
    let mut result = Ok(0);
    loop {
        let wait = rate_wait(&gate, app.busy());
        if wait != app.rate_wait {
            let cmds = app::update(&mut app, Msg::RateWait(wait));
            dispatch(&mut app, cmds);
            dirty = true;
        }
        if dirty {
            if let Err(e) = terminal.draw(|f| crate::ui::draw(f, &app)) {
                result = Err(io_err(format!("drawing failed: {e}")));
                break;
            }
            if first_frame {
                first_frame = false;
                first_frame_at = Some(Instant::now());
                tracing::info!(ms = started.elapsed().as_secs_f64() * 1000.0, "first frame");
            }
            // `scripts/bench.sh risk`: from the first frame to the frame with every key's scopes
            // (so every risk marker) drawn.
            if !risk_logged
                && app.keys.ever_loaded()
                && app.keys.prefetch.total > 0
                && !app.keys.prefetch.active()
                && let Some(t) = first_frame_at
            {
                risk_logged = true;
                tracing::info!(
                    ms = t.elapsed().as_secs_f64() * 1000.0,
                    keys = app.keys.prefetch.total,
                    "every risk marker drawn"
                );
            }
            dirty = false;
        }
        // Tick while something moves (spinner, toast expiry, debounce); else sleep until the
        // next time-driven thing (periodic refresh, badge expiry), or until an event.
        let now = started.elapsed().as_millis() as u64;
        let (wait, animating) = if app.wants_tick() {
            let tick_in = if app.busy() { 80 } else { 250 };
            (Some(Duration::from_millis(tick_in)), true)
        } else {
            let at = app.next_wakeup();
            (
                at.map(|at| Duration::from_millis(at.saturating_sub(now))),
                false,
            )
        };
        let first = match wait {
            Some(wait) => match tokio::time::timeout(wait, rx.recv()).await {
                Ok(ev) => ev,
                Err(_) => {
                    // timer: animate the spinner, expire toasts, fire the debounced detail
                    // fetch or the periodic refresh
                    let look = |app: &App| {
                        (
                            app.toast.is_some(),
                            app.pending.len(),
                            app.arming_until().is_some(),
                        )
                    };
                    let before = look(&app);
                    {
                        let cmds =
                            app::update(&mut app, Msg::Tick(started.elapsed().as_millis() as u64));
                        dispatch(&mut app, cmds);
                    }
                    dirty = !animating || app.busy() || before != look(&app);
                    continue;
                }
            },
            None => rx.recv().await,
        };
        let Some(first) = first else { break };
        {
            let cmds = app::update(&mut app, Msg::Tick(started.elapsed().as_millis() as u64));
            dispatch(&mut app, cmds);
        }
        let mut batch = vec![first];
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok(ev) => batch.push(ev),
                Err(_) => break,
            }
        }
        // Keystrokes: gather what arrives within a few milliseconds, so that a paste from a
        // terminal without bracketed paste (all its keys at once) is seen whole and becomes a
        // paste instead of commands. A person's next key is far slower.
        if matches!(batch.last(), Some(Event::Term(TermEvent::Key(_)))) {
            let until = Instant::now() + Duration::from_millis(40);
            while batch.len() < 4096 && Instant::now() < until {
                match tokio::time::timeout(Duration::from_millis(3), rx.recv()).await {
                    Ok(Some(ev)) => batch.push(ev),
                    _ => break,
                }
            }
        }
        let batch = coalesce_keys(batch);
        for ev in batch {
            let msg = match ev {
                Event::Term(TermEvent::Key(k)) if is_suspend_key(&k) => {
                    if let Err(e) = suspend(&mut terminal, opts.mouse) {
                        result = Err(io_err(format!("cannot resume the terminal: {e}")));
                        app.should_quit = true;
                    }
                    dirty = true;
                    continue;
                }
                Event::Term(TermEvent::Key(k)) => {
                    if TEST_PANIC_UI.load(std::sync::atomic::Ordering::Relaxed) {
                        panic!("test panic in the UI loop (SGKEYS_TEST_PANIC=ui)");
                    }
                    Msg::Key(k)
                }
                Event::Term(TermEvent::Paste(p)) => Msg::Paste(p),
                Event::Burst { text, enter } => Msg::Burst { text, enter },
                Event::Term(TermEvent::Resize(w, h)) => Msg::Resize(w, h),
                Event::Term(TermEvent::Mouse(m)) => Msg::Mouse(m),
                Event::Term(_) => continue,
                Event::Api(ev) => Msg::Api(ev),
                Event::Call(rec) => Msg::Call(rec),
                Event::InputClosed => {
                    result = Err(io_err("the terminal input closed".into()));
                    app.should_quit = true;
                    continue;
                }
                Event::Signal(num) => {
                    // as `q` does (cancel reads, stop the worker), without asking; the events
                    // after it in this batch are dropped so nothing new starts
                    tracing::info!(signal = num, "quit signal");
                    result = Ok(signal_exit_code(num));
                    app.should_quit = true;
                    dispatch(&mut app, vec![Command::CancelReads, Command::Quit]);
                    break;
                }
            };
            {
                let cmds = app::update(&mut app, msg);
                dispatch(&mut app, cmds);
            }
            dirty = true;
        }
        if app.should_quit {
            break;
        }
    }

    restore_terminal(opts.mouse);
    input.abort();
    let waiting = app.pending_mutations();
    drop(cmd_tx);
    if waiting > 0 {
        eprintln!("sgkeys: waiting for {waiting} change(s) in flight to finish and be journaled…");
    }
    // Mutations in flight finish (and are journaled); reads were cancelled.
    match drain_worker(&mut worker, &mut rx, Duration::from_secs(30)).await {
        Drain::Done => {}
        Drain::TimedOut => eprintln!(
            "sgkeys: gave up waiting for changes in flight; check `sgkeys journal` and the key list"
        ),
        Drain::Interrupted(num) => {
            eprintln!(
                "sgkeys: interrupted while waiting for changes in flight; check `sgkeys journal` and the key list"
            );
            if matches!(result, Ok(0)) {
                result = Ok(signal_exit_code(num));
            }
        }
    }
    for s in signals {
        s.abort();
    }
    forward.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quit_signals_exit_128_plus_their_number() {
        let codes: Vec<u8> = QUIT_SIGNALS.iter().map(|&s| signal_exit_code(s)).collect();
        assert_eq!(codes, [143, 129, 130, 131]);
    }

    #[test]
    fn ctrl_z_is_the_suspend_key() {
        let ctrl_z = KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL);
        assert!(is_suspend_key(&ctrl_z));
        assert!(!is_suspend_key(&KeyEvent::new(
            KeyCode::Char('z'),
            KeyModifiers::NONE
        )));
        assert!(!is_suspend_key(&KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL
        )));
    }
}
