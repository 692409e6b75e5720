//! The Slack Web API client: slack-morphism over a connector that also speaks
//! plain HTTP, so tests can point `SLACK_API_URL` at the loopback simulator.

use std::sync::Arc;

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use slack_morphism::prelude::*;

use super::access::{Access, is_revoking};
use super::response_url::ResponseUrls;
use crate::config::Secret;

pub type Connector = SlackClientHyperConnector<HttpsConnector<HttpConnector>>;
pub type Client = slack_morphism::SlackClient<Connector>;

#[derive(Clone)]
pub struct SlackApi {
    pub client: Arc<Client>,
    token: SlackApiToken,
    access: Arc<Access>,
    response_urls: ResponseUrls,
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
            access: Arc::new(Access::default()),
            response_urls: ResponseUrls::new(api_url),
        })
    }

    pub fn session(&self) -> SlackClientSession<'_, Connector> {
        self.client.open_session(&self.token)
    }
}

impl SlackApi {
    /// Where needful stands with Slack: its installation, and whether its
    /// access was revoked.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Notes a Web API error code: one that means the token is dead revokes
    /// access, so nothing more is sent until a restart with a new token.
    pub fn note_error(&self, code: &str) {
        if is_revoking(code) {
            self.access.revoke(code);
        }
    }

    /// Posts to a payload's `response_url`, if it is one Slack issues (see
    /// [`ResponseUrls`]); anything else is not called, and logged.
    pub async fn respond(
        &self,
        url: &SlackResponseUrl,
        request: &SlackApiPostWebhookMessageRequest,
    ) -> anyhow::Result<()> {
        if !self.response_urls.allows(url.value().as_str()) {
            metrics::counter!("needful_refused_response_urls_total").increment(1);
            tracing::warn!(
                host = url.value().host_str().unwrap_or("-"),
                "not posting to a response_url outside Slack's hooks host"
            );
            return Ok(());
        }
        self.client.respond_to_event(url, request).await?;
        Ok(())
    }
}
