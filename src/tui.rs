//! Terminal lifecycle and the event loop, plus the entry points that open the dashboard
//! (`sgkeys`, `sgkeys demo`) and run the simulator (`sgkeys sim`).
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
use ratatui::crossterm::terminal::{Clear, ClearType, EnterAlternateScreen, enable_raw_mode};
use tokio::signal::unix::SignalKind;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::api::{CallRecord, Client, ClientOptions, Observer};
use crate::app::{self, App, Command, Context, Msg};
use crate::cli::{CliError, DemoArgs, Global, SimArgs};
use crate::config;
use crate::journal::Journal;
use crate::sim::{self, SimConfig};
use crate::worker::Worker;

/// Everything that wakes the loop.
enum Event {
    Term(TermEvent),
    Api(app::ApiEvent),
    Call(CallRecord),
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
    pub monochrome: bool,
    pub mouse: bool,
    pub log_file: PathBuf,
}

impl DashOptions {
    /// Options from the global flags (colour, mouse, log file) for a context and journal.
    fn new(global: &Global, ctx: Context, journal: PathBuf) -> Self {
        DashOptions {
            ctx,
            journal: Some(Journal::new(journal)),
            monochrome: monochrome(global),
            mouse: global.mouse,
            log_file: global
                .log_file
                .clone()
                .unwrap_or_else(|| config::state_dir().join("sgkeys.log")),
        }
    }
}

/// `sgkeys` with no command: the dashboard on the configured account.
pub async fn run_configured(global: &Global) -> Result<u8, CliError> {
    let settings = config::resolve(&global.overrides())?;
    let key = settings.api_key()?;
    let caller_key_id = key.key_id().map(str::to_owned);
    let account = settings
        .profile
        .clone()
        .unwrap_or_else(|| "account".to_owned());
    let (tx, rx) = mpsc::unbounded_channel();
    let client = Client::new(
        key,
        ClientOptions {
            base_url: settings.base_url.clone(),
            timeout: settings.timeout,
            observer: Some(observer(tx.clone())),
            ..Default::default()
        },
    )
    .map_err(|e| CliError::api("setting up the client", e))?;
    let ctx = Context {
        base_url: settings.base_url.clone(),
        account,
        on_behalf_of: settings.on_behalf_of.clone(),
        read_only: settings.read_only,
        demo: false,
        caller_key_id,
        // the configured base URL already matches --region / the profile
        region: None,
    };
    let opts = DashOptions::new(global, ctx, settings.journal.clone());
    run_dashboard(client, opts, tx, rx).await
}

/// `sgkeys demo`: the dashboard on an in-process simulator with demo data.
pub async fn run_demo(global: &Global, args: DemoArgs) -> Result<u8, CliError> {
    let seed = args.seed.parse().map_err(CliError::Usage)?;
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return Err(CliError::Usage(
            "--fail-rate must be between 0 and 1".into(),
        ));
    }
    let cfg = SimConfig {
        seed,
        latency: Duration::from_millis(args.latency_ms),
        fail_rate: args.fail_rate,
        hang: Duration::from_secs(3),
        ..SimConfig::default()
    };
    let localhost = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let sim = sim::start(cfg, localhost)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let key = sim.admin_key().clone();
    let caller_key_id = key.key_id().map(str::to_owned);
    let client = Client::new(
        key,
        ClientOptions {
            base_url: sim.base_url(),
            timeout: global
                .timeout
                .map_or(Duration::from_secs(10), Duration::from_secs_f64),
            observer: Some(observer(tx.clone())),
            ..Default::default()
        },
    )
    .map_err(|e| CliError::api("setting up the client", e))?;
    let on_behalf_of = match &global.on_behalf_of {
        Some(o) => Some(crate::api::OnBehalfOf::parse(o).map_err(CliError::Usage)?),
        None => None,
    };
    let ctx = Context {
        base_url: sim.base_url(),
        account: "acme-corp".into(),
        on_behalf_of,
        read_only: global.read_only || config::env_flag("SGKEYS_READ_ONLY"),
        demo: true,
        caller_key_id,
        // the configured base URL already matches --region / the profile
        region: None,
    };
    let journal = global
        .journal
        .clone()
        .unwrap_or_else(|| config::state_dir().join("demo-journal.jsonl"));
    let opts = DashOptions::new(global, ctx, journal);
    let code = run_dashboard(client, opts, tx, rx).await;
    sim.shutdown().await;
    code
}

/// `sgkeys sim`.
pub async fn run_sim(args: SimArgs, json: bool) -> Result<u8, CliError> {
    crate::cli::init_stderr_logging();
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return Err(CliError::Usage(
            "--fail-rate must be between 0 and 1".into(),
        ));
    }
    let admin_key = match &args.admin_key {
        Some(k) => Some(
            crate::secret::Secret::parse(k)
                .map_err(|e| CliError::Usage(format!("--admin-key: {e}")))?,
        ),
        None => None,
    };
    let cfg = SimConfig {
        seed: args.seed.parse().map_err(CliError::Usage)?,
        latency: Duration::from_millis(args.latency_ms),
        rate_limit: args.rate_limit,
        fail_rate: args.fail_rate,
        hang: Duration::from_millis(args.hang_ms),
        state_file: args.state.clone(),
        admin_key,
        get_shape: args.get_shape.parse().map_err(CliError::Usage)?,
        rng_seed: args.rng_seed.or(SimConfig::default().rng_seed),
        ..SimConfig::default()
    };
    sim::run_standalone(cfg, args.port, json)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    Ok(0)
}

fn monochrome(global: &Global) -> bool {
    global.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn observer(tx: mpsc::UnboundedSender<Event>) -> Observer {
    Arc::new(move |rec: &CallRecord| {
        let _ = tx.send(Event::Call(rec.clone()));
    })
}

/// Open (create) the log file for appending, readable by its owner only: created 0600, and an
/// existing file with wider permissions is tightened to 0600.
fn open_log_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    let mut perms = file.metadata()?.permissions();
    if perms.mode() & 0o077 != 0 {
        perms.set_mode(perms.mode() & 0o700);
        file.set_permissions(perms)?;
    }
    Ok(file)
}

/// Logging for the dashboard goes to a file (never to the screen), without colour codes.
fn init_file_logging(path: &Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(file) = open_log_file(path) else {
        return;
    };
    let filter = crate::cli::log_filter("info");
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
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

/// Copy text to the clipboard with OSC 52 (works over SSH and in tmux with set-clipboard on).
fn osc52(text: &str) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    let seq = if std::env::var_os("TMUX").is_some() {
        format!("\x1bPtmux;\x1b\x1b]52;c;{b64}\x07\x1b\\")
    } else {
        format!("\x1b]52;c;{b64}\x07")
    };
    let mut out = std::io::stdout();
    let _ = out.write_all(seq.as_bytes());
    let _ = out.flush();
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

static TEST_PANIC_UI: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Run the dashboard until the user quits.
async fn run_dashboard(
    client: Client,
    opts: DashOptions,
    tx: mpsc::UnboundedSender<Event>,
    mut rx: mpsc::UnboundedReceiver<Event>,
) -> Result<u8, CliError> {
    init_file_logging(&opts.log_file);
    let started = Instant::now();
    // From here on TERM, HUP, INT and QUIT end the loop instead of the process.
    let signals = forward_signals(&tx);
    let mut terminal =
        ratatui::try_init().map_err(|e| CliError::Io(format!("cannot open the terminal: {e}")))?;
    install_panic_hook(opts.mouse, opts.log_file.clone());
    let _ = execute!(std::io::stdout(), EnableBracketedPaste);
    if opts.mouse {
        let _ = execute!(std::io::stdout(), EnableMouseCapture);
    }

    let mut app = App::new(opts.ctx.clone());
    app.monochrome = opts.monochrome;
    app.mouse = opts.mouse;
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
    let worker = Worker {
        client,
        journal: opts.journal.clone(),
        read_only: opts.ctx.read_only,
    };
    let mut worker = tokio::spawn(worker.run(cmd_rx, Arc::new(ev_tx)));
    drop(tx);

    let dispatch = |cmds: Vec<Command>| {
        for c in cmds {
            match c {
                Command::Copy(s) => osc52(s.expose()),
                other => {
                    let _ = cmd_tx.send(other);
                }
            }
        }
    };
    dispatch(app::init(&mut app));
    test_panic_hook();

    let mut first_frame = true;
    let mut dirty = true;
    let mut result = Ok(0);
    loop {
        if dirty {
            if let Err(e) = terminal.draw(|f| crate::ui::draw(f, &app)) {
                result = Err(CliError::Io(format!("drawing failed: {e}")));
                break;
            }
            if first_frame {
                first_frame = false;
                tracing::info!(ms = started.elapsed().as_secs_f64() * 1000.0, "first frame");
            }
            dirty = false;
        }
        let tick_in = if app.busy() {
            Duration::from_millis(80)
        } else {
            Duration::from_millis(250)
        };
        let first = if app.wants_tick() {
            match tokio::time::timeout(tick_in, rx.recv()).await {
                Ok(ev) => ev,
                Err(_) => {
                    // timer: animate the spinner, expire toasts, fire the debounced detail fetch
                    let before = (app.toast.is_some(), app.pending.len());
                    dispatch(app::update(
                        &mut app,
                        Msg::Tick(started.elapsed().as_millis() as u64),
                    ));
                    dirty = app.busy() || before != (app.toast.is_some(), app.pending.len());
                    continue;
                }
            }
        } else {
            rx.recv().await
        };
        let Some(first) = first else { break };
        dispatch(app::update(
            &mut app,
            Msg::Tick(started.elapsed().as_millis() as u64),
        ));
        let mut batch = vec![first];
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok(ev) => batch.push(ev),
                Err(_) => break,
            }
        }
        for ev in batch {
            let msg = match ev {
                Event::Term(TermEvent::Key(k)) if is_suspend_key(&k) => {
                    if let Err(e) = suspend(&mut terminal, opts.mouse) {
                        result = Err(CliError::Io(format!("cannot resume the terminal: {e}")));
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
                Event::Term(TermEvent::Resize(w, h)) => Msg::Resize(w, h),
                Event::Term(TermEvent::Mouse(m)) => Msg::Mouse(m),
                Event::Term(_) => continue,
                Event::Api(ev) => Msg::Api(ev),
                Event::Call(rec) => Msg::Call(rec),
                Event::InputClosed => {
                    result = Err(CliError::Io("the terminal input closed".into()));
                    app.should_quit = true;
                    continue;
                }
                Event::Signal(num) => {
                    // as `q` does (cancel reads, stop the worker), without asking; the events
                    // after it in this batch are dropped so nothing new starts
                    tracing::info!(signal = num, "quit signal");
                    result = Ok(signal_exit_code(num));
                    app.should_quit = true;
                    dispatch(vec![Command::CancelReads, Command::Quit]);
                    break;
                }
            };
            dispatch(app::update(&mut app, msg));
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
    #![allow(clippy::unwrap_used)]
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn log_file_is_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("new.log");
        drop(open_log_file(&fresh).unwrap());
        assert_eq!(mode(&fresh), 0o600);

        let wide = dir.path().join("old.log");
        std::fs::write(&wide, b"earlier line\n").unwrap();
        std::fs::set_permissions(&wide, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut f = open_log_file(&wide).unwrap();
        f.write_all(b"appended\n").unwrap();
        assert_eq!(mode(&wide), 0o600);
        assert_eq!(
            std::fs::read_to_string(&wide).unwrap(),
            "earlier line\nappended\n"
        );

        // narrower permissions are left alone
        let narrow = dir.path().join("narrow.log");
        std::fs::write(&narrow, b"").unwrap();
        std::fs::set_permissions(&narrow, std::fs::Permissions::from_mode(0o200)).unwrap();
        drop(open_log_file(&narrow).unwrap());
        assert_eq!(mode(&narrow), 0o200);
    }

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
