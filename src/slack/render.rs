//! What people are told when the transport, not a feature, answers them.

use super::origin::Refusal;

/// needful does not yet know which workspace it serves.
pub const STARTING: &str =
    "needful is just starting up and can't take this yet. Please try again in a moment.";

/// A request for an installation needful does not serve.
pub fn refused(why: Refusal) -> &'static str {
    match why {
        Refusal::OtherWorkspace => {
            "This request came from a workspace needful is not installed in, so I did nothing. Please use me in the workspace where I'm installed, or ask an admin to install me here."
        }
        Refusal::OtherApp | Refusal::MissingApp => {
            "This request was meant for a different Slack app, so needful did nothing. Please tell a Slack admin: another app's request URL points at needful."
        }
    }
}
