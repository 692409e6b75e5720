//! The HTTP listener: an accept loop over hyper's HTTP/1 server that bounds
//! what a client can hold. axum::serve has no header-read timeout and no
//! connection cap; an unsigned client could hold sockets and memory for as
//! long as it liked.
//!
//! - At most `max_connections` are open at once. Over the cap we stop
//!   accepting: new connections wait in the kernel's backlog, costing us
//!   neither a file descriptor nor memory, and are taken as soon as a slot
//!   frees (within one request timeout, since every held slot times out).
//!   Accepting and closing at once would instead turn Slack away for as long
//!   as the flood lasts.
//! - A client has `request_timeout` to send its headers; the same timer runs
//!   while a keep-alive connection sits idle. The body has its own timeout
//!   where it is read (see `slack::http`).
//! - Stopping: no new connections, idle ones closed, in-flight requests finish.

use std::{
    convert::Infallible,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Router, body::Body, extract::Request};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

/// Slack's request headers are under 2 KiB; hyper's read buffer (default
/// ~400 KiB per connection) need not grow past this.
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// How long stopping waits for in-flight requests before giving up on them.
const DRAIN_AT_MOST: Duration = Duration::from_secs(10);

/// The cap on the internal `/metrics` listener: a scraper or two.
pub const INTERNAL_CONNECTIONS: usize = 64;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub request_timeout: Duration,
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then lets the
/// open connections finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let ebb = Arc::new(Ebb::default());
    tokio::spawn(ebb.clone().watch(shutdown.clone()));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.request_timeout)
        .max_buf_size(READ_BUFFER_BYTES);
    loop {
        // A slot first, so over the cap the backlog holds the newcomers.
        let slot = tokio::select! {
            _ = shutdown.cancelled() => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before
                    // we took it: wait a moment rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
            let router = router.clone();
            async move {
                Ok::<_, Infallible>(
                    router
                        .oneshot(request.map(Body::new))
                        .await
                        .unwrap_or_else(|never| match never {}),
                )
            }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let ebb = ebb.clone();
        ebb.opened();
        tokio::spawn(async move {
            // Timeouts and resets end up here; they are the client's business.
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
            drop(slot);
            ebb.closed();
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_AT_MOST, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some requests were still running {DRAIN_AT_MOST:?} after the stop");
    }
}

/// Counts open connections to notice a flood ebbing. glibc keeps memory freed
/// by many connections in its arenas for reuse, so without help the process
/// stays at its flood-time size (measured: 18 MB idle, 68 MB ten seconds after
/// 500 slow clients left); handing the free pages back brings it home.
#[derive(Default)]
struct Ebb {
    open: AtomicUsize,
    /// The most open at once since memory was last handed back.
    peak: AtomicUsize,
}

impl Ebb {
    /// More connections than this at once is a flood, not Slack's traffic.
    const FLOOD: usize = 64;
    /// Down to this many, the flood has passed.
    const QUIET: usize = Self::FLOOD / 4;

    fn opened(&self) {
        let open = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(open, Ordering::Relaxed);
    }

    fn closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Once a second: after a flood, once it is quiet, hand memory back.
    async fn watch(self: Arc<Self>, shutdown: CancellationToken) {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            let open = self.open.load(Ordering::Relaxed);
            if self.peak.load(Ordering::Relaxed) > Self::FLOOD && open <= Self::QUIET {
                self.peak.store(open, Ordering::Relaxed);
                let _ = tokio::task::spawn_blocking(crate::sys::release_free).await;
            }
        }
    }
}

/// The connection cap that fits the process's open-file limit. The soft limit
/// is raised to the hard one first (often 1,024 → 1,048,576), as Go and
/// systemd services do; if the cap still does not fit next to the database's
/// and Slack client's own descriptors, it is lowered, so a flood cannot take
/// the descriptors the bot needs to answer Slack.
pub fn fit_to_open_files(max_connections: usize) -> usize {
    /// Descriptors kept for the database, the Slack client and the second listener.
    const RESERVED: usize = 128;
    let Some(limit) = raise_open_file_limit() else {
        return max_connections;
    };
    let fits = limit.saturating_sub(RESERVED).max(1);
    if max_connections > fits {
        tracing::warn!(
            max_connections,
            open_file_limit = limit,
            "NEEDFUL_MAX_CONNECTIONS does not fit the open-file limit (ulimit -n); serving at most {fits} connections"
        );
        fits
    } else {
        max_connections
    }
}

#[cfg(unix)]
fn raise_open_file_limit() -> Option<usize> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            limit = raised;
        }
    }
    // None: no limit at all.
    Some(
        limit
            .current
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX)),
    )
}

#[cfg(not(unix))]
fn raise_open_file_limit() -> Option<usize> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_cap_past_the_open_file_limit_is_lowered() {
        assert_eq!(fit_to_open_files(1), 1);
        let fits = fit_to_open_files(usize::MAX);
        assert!(fits < usize::MAX, "not lowered: {fits}");
        assert!(fits >= 1);
    }
}
