//! The Slack Web API client: slack-morphism over a connector that also speaks
//! plain HTTP, so tests can point `SLACK_API_URL` at the loopback simulator.

use std::sync::Arc;

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use slack_morphism::prelude::*;

use crate::config::Secret;

pub type Connector = SlackClientHyperConnector<HttpsConnector<HttpConnector>>;
pub type Client = slack_morphism::SlackClient<Connector>;

#[derive(Clone)]
pub struct SlackApi {
    pub client: Arc<Client>,
    token: SlackApiToken,
}

impl std::fmt::Debug for SlackApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SlackApi")
    }
}

pub fn connector(api_url: &str) -> anyhow::Result<Connector> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()?
        // Slack itself is https; plain http is accepted for a loopback simulator.
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    Ok(SlackClientHyperConnector::with_connector(https).with_slack_api_url(api_url))
}

impl SlackApi {
    pub fn new(api_url: &str, bot_token: &Secret) -> anyhow::Result<Self> {
        Ok(Self {
            client: Arc::new(slack_morphism::SlackClient::new(connector(api_url)?)),
            token: SlackApiToken::new(SlackApiTokenValue::new(bot_token.expose().to_string())),
        })
    }

    pub fn session(&self) -> SlackClientSession<'_, Connector> {
        self.client.open_session(&self.token)
    }
}

impl SlackApi {
    /// needful's own user id, from auth.test. A Slack outage at start-up must
    /// not stop the bot, so failure is logged and answered with None.
    pub async fn whoami(&self) -> Option<crate::slack::ids::UserId> {
        let session = self.session();
        let call = session.auth_test();
        match tokio::time::timeout(std::time::Duration::from_secs(5), call).await {
            Ok(Ok(resp)) => crate::slack::ids::UserId::parse(resp.user_id.as_ref()).ok(),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "auth.test failed; check SLACK_BOT_TOKEN");
                None
            }
            Err(_) => {
                tracing::warn!(
                    "auth.test timed out; continuing without knowing needful's own user id"
                );
                None
            }
        }
    }
}
