//! What needful knows about its standing with Slack: which installation it
//! is (learned at start) and whether its access was revoked (an uninstall, a
//! revoked token). Shared by the transports, the outbox and `/healthz`.
//!
//! Revocation is kept in memory only: a restart runs `auth.test` again, which
//! fails again with the old token and succeeds with a new one, so nothing
//! stale can outlive a reinstall.

use std::sync::{Arc, OnceLock};

use tokio::sync::watch;

use crate::domain::ids::UserId;

/// Web API errors that mean the token will never work again. Slack answers
/// `invalid_auth` for an uninstalled app's token, `token_revoked` for a
/// revoked one, `account_inactive` when the bot user was deactivated, and
/// `not_authed` when no token reached it at all.
pub const REVOKING_ERRORS: &[&str] = &[
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "not_authed",
];

/// One workspace's (or one org's) installation of one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    pub team_id: String,
    pub enterprise_id: Option<String>,
    /// Installed org-wide: every workspace of `enterprise_id` is served.
    pub is_enterprise_install: bool,
    pub app_id: String,
    pub bot_id: String,
    pub bot_user_id: UserId,
    /// The workspace's address (`https://acme.slack.com/`), for links to
    /// messages; None when Slack named none.
    pub workspace_url: Option<String>,
}

/// The link to message `ts` in `channel`, in the form chat.getPermalink
/// answers with, for when many messages are linked at once (a roundup) and a
/// call each would pass Slack's limit for that method.
pub fn message_link(workspace_url: &str, channel: &str, ts: &str) -> String {
    format!(
        "{}/archives/{channel}/p{}",
        workspace_url.trim_end_matches('/'),
        ts.replace('.', "")
    )
}

pub fn is_revoking(error: &str) -> bool {
    REVOKING_ERRORS.contains(&error)
}

#[derive(Debug)]
pub struct Access {
    installation: OnceLock<Installation>,
    revoked: watch::Sender<Option<Arc<str>>>,
    /// Why the installation is not known yet (the last failed attempt).
    waiting_because: std::sync::Mutex<Option<String>>,
}

impl Default for Access {
    fn default() -> Self {
        Self {
            installation: OnceLock::new(),
            revoked: watch::channel(None).0,
            waiting_because: std::sync::Mutex::new(None),
        }
    }
}

/// How `/healthz` reports Slack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Ok,
    /// The installation is not known yet; requests wait.
    Starting(Option<String>),
    /// Slack took needful's access away; nothing is sent until a restart.
    Revoked(String),
}

impl Standing {
    /// Healthy enough to take traffic: starting is (Slack retries what waits).
    pub fn is_healthy(&self) -> bool {
        !matches!(self, Standing::Revoked(_))
    }

    pub fn describe(&self) -> String {
        match self {
            Standing::Ok => "ok".into(),
            Standing::Starting(None) => "starting: asking Slack who needful is".into(),
            Standing::Starting(Some(why)) => format!("starting: {why}"),
            Standing::Revoked(why) => format!("revoked: {why}"),
        }
    }
}

impl Access {
    pub fn installation(&self) -> Option<&Installation> {
        self.installation.get()
    }

    /// Records the installation learned from Slack (the first one wins).
    pub fn learned(&self, installation: Installation) {
        if self.installation.set(installation).is_ok()
            && let Some(i) = self.installation.get()
        {
            tracing::info!(team = %i.team_id, enterprise = ?i.enterprise_id, app = %i.app_id, bot_user = %i.bot_user_id, "needful knows its installation; serving requests for it only");
        }
    }

    pub fn waiting_because(&self, why: String) {
        *self
            .waiting_because
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(why);
    }

    /// Marks Slack access as revoked. Said once, at error level, with what
    /// the operator should do; later calls change nothing.
    pub fn revoke(&self, why: &str) {
        let first = self.revoked.send_if_modified(|state| {
            if state.is_some() {
                return false;
            }
            *state = Some(Arc::from(why));
            true
        });
        if first {
            metrics::counter!("needful_slack_access_revoked_total", "reason" => why.to_string())
                .increment(1);
            tracing::error!(
                reason = why,
                "Slack access revoked ({why}): needful stops calling Slack and keeps what is waiting. Reinstall the app, put the new bot token in SLACK_BOT_TOKEN and restart needful"
            );
        }
    }

    pub fn revoked(&self) -> Option<Arc<str>> {
        self.revoked.borrow().clone()
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked.borrow().is_some()
    }

    /// Resolves once access is revoked (at once if it already is).
    pub async fn until_revoked(&self) {
        let mut rx = self.revoked.subscribe();
        let _ = rx.wait_for(Option::is_some).await;
    }

    pub fn standing(&self) -> Standing {
        if let Some(why) = self.revoked() {
            return Standing::Revoked(why.to_string());
        }
        if self.installation().is_some() {
            return Standing::Ok;
        }
        Standing::Starting(
            self.waiting_because
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocation_is_kept_once_with_its_first_reason() {
        let access = Access::default();
        assert_eq!(
            access.standing(),
            Standing::Starting(None),
            "unknown until learned"
        );
        access.revoke("app_uninstalled");
        access.revoke("invalid_auth");
        assert_eq!(access.revoked().as_deref(), Some("app_uninstalled"));
        assert!(!access.standing().is_healthy());
        assert_eq!(access.standing().describe(), "revoked: app_uninstalled");
    }

    #[test]
    fn only_dead_token_errors_revoke() {
        for e in [
            "invalid_auth",
            "account_inactive",
            "token_revoked",
            "not_authed",
        ] {
            assert!(is_revoking(e), "{e}");
        }
        for e in ["channel_not_found", "ratelimited", "missing_scope", ""] {
            assert!(!is_revoking(e), "{e}");
        }
    }

    #[tokio::test]
    async fn until_revoked_wakes_waiters() {
        let access = Arc::new(Access::default());
        let waiter = tokio::spawn({
            let access = access.clone();
            async move { access.until_revoked().await }
        });
        access.revoke("tokens_revoked");
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("joins");
    }
}
