//! How much text understaffed mode takes: the parser refuses more, and the
//! messages say so.

/// The longest reason `/understaffed on` takes: it is repeated in every
/// check-in prompt and App Home while the pod is short.
pub const MAX_REASON_CHARS: usize = 300;
