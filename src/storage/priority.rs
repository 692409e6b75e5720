//! Lowering a thread's CPU priority for the checkpoint copier, which was
//! measured to pay for itself.
//!
//! The WAL copies ([`super::checkpoint`]) are bursts of several
//! milliseconds of work every 50 ms under load, and on two cores they take
//! the CPU from the writer and the requests. At nice 10 they run when a core
//! is free. Measured 2026-12-05 on the 2-vCPU VM of BENCHMARKS.md with
//! `examples/loadgen`, the same build with and without this call, run
//! alternately (load average 0.5–2.0, other builds on the machine now and
//! then):
//!
//! ```sh
//! loadgen --spawn needful --rate 1000 --duration 15 --count 15000 --drain-timeout 0
//! ```
//!
//! ack p99 1.14 / 1.13 / 1.14 / 1.20 / 1.23 / 1.40 ms lowered against
//! 1.36 / 1.22 / 1.43 / 1.42 / 1.33 / 1.43 ms not (medians 1.17 and 1.39;
//! p50 0.36 against 0.39 ms); in five earlier rounds, medians 1.24 against
//! 1.42 ms. Flat out (`--rate 0 --count 30000 --concurrency 64`) the two
//! could not be told apart (20,362 and 20,453 requests/s, medians of five).
//! Round 5 in BENCHMARKS.md found the same before the writer took every
//! write (p99 2.41 → 2.10 ms).

/// Lowers the calling thread's CPU priority to nice 10. Where that cannot
/// be done the thread runs at normal priority, which is only slower.
pub fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        // On Linux, PRIO_PROCESS for "this process" (no pid) names the
        // calling thread, not the whole process.
        if let Err(e) = rustix::process::setpriority_process(None, 10) {
            tracing::debug!(error = %e, "could not lower a thread's priority");
        }
    }
}
