//! Which installation needful is, learned from Slack at start: `auth.test`
//! names the workspace (and org) and the bot, `bots.info` the app.
//!
//! Start-up does not wait for Slack: the first attempt is made before
//! listening (so a healthy start serves at once), and if Slack is unreachable
//! the app listens anyway and keeps asking in the background with backoff.
//! Until it knows, requests are held off (see [`super::gate`]): Slack retries
//! events, and people are asked to try again in a moment.

use std::time::Duration;

use serde::Deserialize;
use slack_morphism::errors::SlackClientError;
use tokio_util::sync::CancellationToken;

use super::access::Installation;
use super::client::SlackApi;
use crate::domain::ids::UserId;

/// How long one attempt (auth.test then bots.info) may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(30);

/// Why an attempt did not learn the installation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NotLearned {
    /// The token is dead (`invalid_auth`, `account_inactive`, …): asking
    /// again will not help.
    Revoked(String),
    /// Slack is unreachable or answered something odd: ask again later.
    Unreachable(String),
}

/// `auth.test`'s answer; slack-morphism's type leaves out the org fields.
#[derive(Debug, Deserialize)]
struct AuthTest {
    /// Empty or absent for some org-wide installs; the org id names them.
    team_id: Option<String>,
    user_id: String,
    bot_id: Option<String>,
    enterprise_id: Option<String>,
    #[serde(default)]
    is_enterprise_install: bool,
    /// The workspace's address, e.g. `https://acme.slack.com/`.
    url: Option<String>,
}

fn not_learned(method: &str, e: SlackClientError) -> NotLearned {
    match e {
        SlackClientError::ApiError(e) if super::access::is_revoking(&e.code) => {
            NotLearned::Revoked(e.code)
        }
        other => NotLearned::Unreachable(format!("{method}: {other}")),
    }
}

/// One attempt: `auth.test`, then `bots.info` for the app id.
async fn learn_once(api: &SlackApi) -> Result<Installation, NotLearned> {
    let attempt = async {
        let session = api.session();
        let auth: AuthTest = session
            .http_session_api
            .http_get(
                "auth.test",
                &slack_morphism::SLACK_HTTP_EMPTY_GET_PARAMS.clone(),
                None,
            )
            .await
            .map_err(|e| not_learned("auth.test", e))?;
        let bot_id = auth.bot_id.filter(|b| !b.is_empty()).ok_or_else(|| {
            NotLearned::Unreachable(
                "auth.test named no bot: SLACK_BOT_TOKEN must be the Bot User OAuth Token (xoxb-…)"
                    .into(),
            )
        })?;
        let bot_user_id = UserId::parse(&auth.user_id).map_err(|e| {
            NotLearned::Unreachable(format!("auth.test returned an odd user id: {e}"))
        })?;
        let bot = session
            .bots_info(
                &slack_morphism::prelude::SlackApiBotsInfoRequest::new().with_bot(bot_id.clone()),
            )
            .await
            .map_err(|e| not_learned("bots.info", e))?;
        Ok(Installation {
            team_id: auth.team_id.unwrap_or_default(),
            enterprise_id: auth.enterprise_id.filter(|e| !e.is_empty()),
            is_enterprise_install: auth.is_enterprise_install,
            app_id: bot.bot.app_id,
            bot_id,
            bot_user_id,
            workspace_url: auth.url.filter(|u| u.starts_with("https://")),
        })
    };
    match tokio::time::timeout(ATTEMPT_TIMEOUT, attempt).await {
        Ok(result) => result,
        Err(_) => Err(NotLearned::Unreachable(format!(
            "Slack did not answer within {ATTEMPT_TIMEOUT:?}"
        ))),
    }
}

/// Tries once and records the outcome in `api.access()`. True when there
/// is nothing left to learn (known, or revoked).
pub async fn try_learn(api: &SlackApi) -> bool {
    match learn_once(api).await {
        Ok(installation) => {
            api.access().learned(installation);
            true
        }
        Err(NotLearned::Revoked(code)) => {
            api.access().revoke(&code);
            true
        }
        Err(NotLearned::Unreachable(why)) => {
            tracing::warn!(%why, "could not learn needful's installation from Slack; requests wait until it can");
            api.access().waiting_because(why);
            false
        }
    }
}

/// Keeps asking, with backoff, until the installation is known, access is
/// revoked or needful stops.
pub async fn keep_learning(api: SlackApi, shutdown: CancellationToken) {
    if api.access().installation().is_some() || api.access().is_revoked() {
        return;
    }
    let mut wait = FIRST_RETRY;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.cancelled() => return,
        }
        // True once the installation is known or access is revoked.
        let learned = tokio::select! {
            learned = try_learn(&api) => learned,
            _ = shutdown.cancelled() => return,
        };
        if learned {
            return;
        }
        wait = (wait * 2).min(MAX_RETRY);
    }
}
