//! Ctrl-C (and SIGTERM) on the command line: a sweep stops at once with what was answered
//! kept ([`interruptible`]); a bulk change stops sending and waits for the requests under way
//! ([`interrupt_watcher`]).

use std::future::Future;

/// `fut`, unless Ctrl-C (or SIGTERM) comes first: then `None`, at once (the requests under way
/// are dropped; every answer received was recorded as it arrived).
pub(crate) async fn interruptible<T>(fut: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        r = fut => Some(r),
        () = signalled() => None,
    }
}

async fn signalled() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    #[cfg(not(unix))]
    if tokio::signal::ctrl_c().await.is_ok() {
        return;
    }
    std::future::pending::<()>().await;
}

/// Cancel `stop` on the first SIGINT or SIGTERM; exit 130 on the second.
pub(crate) async fn interrupt_watcher(stop: tokio_util::sync::CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        for round in 0..2 {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            if round == 0 {
                crate::errln!(
                    "\nsgkeys: interrupted: sending nothing more; waiting for the requests under way \
                     (again to quit now; the journal names every key sent)"
                );
                stop.cancel();
            } else {
                std::process::exit(130);
            }
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.cancel();
        }
    }
}
