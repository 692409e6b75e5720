//! How much text a check-in takes: the parser refuses more, and the
//! messages and the modal say so.

/// The longest check-in note: a morning focus, not a report. The modal's
/// input stops here too.
pub const MAX_NOTE_CHARS: usize = 1_000;
/// The longest away reason ("vacation", "sick", "parental leave").
pub const MAX_AWAY_CHARS: usize = 200;
