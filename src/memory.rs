//! Handing freed memory back to the system after a flood of connections.
//! Besides [`crate::storage::direct`]'s borrowed handle, this is needful's
//! only `unsafe` code: one call into the C library, kept because it was
//! measured to be needed (BENCHMARKS.md, "Unsigned clients").
//!
//! glibc keeps what a flood's buffers freed in per-thread arenas and gives
//! little of it back on its own: ten seconds after 500 forged 1 MiB
//! requests, RSS stayed at 67.6 MB, and at 84.9 MB after 2,000, against
//! 18.6 MB idle. Asking glibc to trim its free lists once the flood is over
//! brought it to 19.2 and 19.8 MB.

/// Returns the allocator's free pages to the system. It walks every arena,
/// so call it off the async threads (`spawn_blocking`), and only after a
/// flood.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free() {
    // SAFETY: malloc_trim takes a plain integer and only walks the
    // allocator's own free lists; it is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators and systems: nothing to do.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free() {}
