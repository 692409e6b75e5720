//! Logging (tracing) and metrics (Prometheus text format).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Human-readable logs by default, JSON lines with `json`. Level from `RUST_LOG`.
pub fn init_logging(json: bool) {
    init_logging_with(json, "info,sqlx=warn,slack_morphism=warn,hyper=warn");
}

/// [`init_logging`] with another filter when `RUST_LOG` is unset (the demo
/// keeps its terminal for what a person needs to read).
pub fn init_logging_with(json: bool, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json {
        registry
            .with(fmt::layer().json().with_current_span(false))
            .try_init()
    } else {
        registry.with(fmt::layer()).try_init()
    };
    // A second init (tests start several apps in one process) is harmless.
    let _ = result;
}

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide metrics recorder once and returns its handle.
pub fn metrics_handle() -> Option<PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("needful_ack_seconds".to_string()),
                    &[
                        0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    ],
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .clone()
}

/// The outbox's gauges for `/metrics`, counted on a read-only connection at
/// most once a second: a flood of scrapes costs one indexed query a second
/// and never waits for (or holds up) a write.
#[derive(Default)]
pub struct OutboxGauges {
    last: tokio::sync::Mutex<Option<std::time::Instant>>,
}

impl OutboxGauges {
    const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(1);

    /// Brings the gauges up to date unless they are fresh. Concurrent callers
    /// queue on the lock and find them fresh.
    pub async fn refresh(&self, reader: &crate::storage::Db) {
        let mut last = self.last.lock().await;
        if last.is_some_and(|at| at.elapsed() < Self::FRESH_FOR) {
            return;
        }
        let rows = match crate::storage::outbox::summary(reader).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "could not count the outbox for /metrics");
                return;
            }
        };
        let count = |status: &str| {
            rows.iter()
                .find(|r| r.status == status)
                .map_or(0, |r| r.count)
        };
        for status in crate::storage::outbox::SUMMARY_STATUSES {
            metrics::gauge!("needful_outbox_messages", "status" => status)
                .set(count(status) as f64);
        }
        metrics::gauge!("needful_outbox_depth").set((count("pending") + count("sending")) as f64);
        *last = Some(std::time::Instant::now());
    }
}
