//! The dashboard's real model and real worker against a simulator, without a terminal: key
//! presses go to `update`, its commands to the worker (which journals as in `sgkeys`), the
//! worker's answers back to `update`, until nothing is pending.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use sgkeys::app::{self, ApiEvent, App, Command, Context, Msg};
use sgkeys::journal::Journal;
use sgkeys::sim::SimHandle;
use sgkeys::worker::Worker;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// Run `worker` as the dashboard does: commands in, answers out; it ends when the commands'
/// sender is dropped (or on [`Command::Quit`]).
pub fn spawn(
    worker: Worker,
) -> (
    UnboundedSender<Command>,
    UnboundedReceiver<ApiEvent>,
    tokio::task::JoinHandle<()>,
) {
    let (cmd_tx, cmd_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = tokio::sync::mpsc::unbounded_channel::<ApiEvent>();
    let running = tokio::spawn(worker.run(cmd_rx, Arc::new(ev_tx)));
    (cmd_tx, ev_rx, running)
}

pub struct Dash {
    pub app: App,
    commands: UnboundedSender<Command>,
    events: UnboundedReceiver<ApiEvent>,
    /// The model's clock (`now_ms`), moved on by [`Dash::tick`].
    pub now_ms: u64,
    worker: tokio::task::JoinHandle<()>,
}

impl Dash {
    /// The dashboard on `sim`'s own account, journaling into `journal`; the key list loaded.
    pub async fn start(sim: &SimHandle, journal: &Journal) -> Dash {
        let client = super::simulator::client(sim);
        let ctx = Context {
            base_url: sim.base_url(),
            account: "acme-corp".into(),
            on_behalf_of: None,
            read_only: false,
            demo: false,
            caller_key_id: sim.admin_key().key_id().map(str::to_owned),
            region: None,
        };
        let worker = Worker {
            client,
            journal: Some(journal.clone()),
            read_only: false,
            inventory: None,
            recall: None,
        };
        let (cmd_tx, ev_rx, worker) = spawn(worker);
        let mut app = App::new(ctx);
        // the clock of now, as the terminal gives it (a rotation's lineage name has the date)
        app.clock.start_unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        app::update(&mut app, Msg::Resize(120, 40));
        let mut d = Dash {
            app,
            commands: cmd_tx,
            events: ev_rx,
            now_ms: 0,
            worker,
        };
        let cmds = app::init(&mut d.app);
        d.drive(cmds).await;
        d.tick(12_500).await;
        d
    }

    /// Send `cmds` and every command their answers cause, until no request is pending.
    pub async fn drive(&mut self, cmds: Vec<Command>) {
        self.send(cmds);
        while !self.app.pending.is_empty() {
            let ev = tokio::time::timeout(Duration::from_secs(20), self.events.recv())
                .await
                .expect("the worker answers within 20 s")
                .expect("the worker is running");
            let more = app::update(&mut self.app, Msg::Api(ev));
            self.send(more);
        }
    }

    fn send(&mut self, cmds: Vec<Command>) {
        for c in cmds {
            match c {
                Command::Copy { what, .. } => {
                    let result = Ok("copied".into());
                    let more = app::update(&mut self.app, Msg::Copied { what, result });
                    self.send(more);
                }
                other => {
                    let _ = self.commands.send(other);
                }
            }
        }
    }

    /// Press keys (see [`super::keys`]) and drive what they cause.
    pub async fn press(&mut self, spec: &str) {
        for k in super::keys(spec) {
            let cmds = app::update(&mut self.app, Msg::Key(k));
            self.drive(cmds).await;
        }
    }

    /// Let model time pass by `ms` (debounced reads, prefetch), driving what it causes.
    pub async fn tick(&mut self, ms: u64) {
        self.now_ms += ms;
        let cmds = app::update(&mut self.app, Msg::Tick(self.now_ms));
        self.drive(cmds).await;
    }

    /// Select the first key with this name (its scopes loaded).
    pub async fn select(&mut self, name: &str) {
        self.press("g").await;
        for _ in 0..self.app.view.rows.len() {
            if self.app.selected().is_some_and(|e| e.name == name) {
                self.tick(1_000).await;
                return;
            }
            self.press("j").await;
        }
        panic!("no key named {name}");
    }

    pub async fn stop(self) {
        let _ = self.commands.send(Command::Quit);
        let _ = self.worker.await;
    }
}
