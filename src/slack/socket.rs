//! Socket Mode: the same handlers as HTTP mode, fed from slack-morphism's
//! WebSocket listener instead of signed POSTs. An envelope is acknowledged only
//! after its transaction commits; if that fails, no ack is sent and Slack
//! redelivers it.

use std::sync::Arc;

use anyhow::Context as _;
use slack_morphism::prelude::*;

use crate::{
    domain::reply::Handled,
    slack::{
        answer,
        client::Connector,
        gate::{self, EventGate},
        origin::Origin,
    },
    state::App,
};

type State = SlackClientEventsUserState;
type Client = Arc<SlackClient<Connector>>;

pub struct SocketMode {
    listener: Arc<SlackClientSocketModeListener<Connector>>,
    watcher: tokio::task::JoinHandle<()>,
}

impl SocketMode {
    pub async fn shutdown(self) {
        self.watcher.abort();
        self.listener.shutdown().await;
    }
}

/// Opens the Socket Mode connections and starts dispatching envelopes.
pub async fn start(app: App) -> anyhow::Result<SocketMode> {
    let app_token = app
        .team
        .settings
        .env
        .app_token
        .clone()
        .context("SLACK_APP_TOKEN is not set; Socket Mode needs an app-level token")?;
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_push_events(on_push)
        .with_command_events(on_command)
        .with_interaction_events(on_interaction);
    let environment = Arc::new(
        SlackClientEventsListenerEnvironment::new(app.slack.client.clone())
            .with_error_handler(on_error)
            .with_user_state(app.clone()),
    );
    let listener = SlackClientSocketModeListener::new(
        &SlackClientSocketModeConfig::new().with_initial_backoff_in_seconds(1),
        environment,
        callbacks,
    );
    let token = SlackApiToken::new(SlackApiTokenValue::new(app_token.expose().to_string()));
    listener.listen_for(&token).await.context(
        "could not open a Socket Mode connection (apps.connections.open); check SLACK_APP_TOKEN",
    )?;
    listener.start().await;
    tracing::info!("Socket Mode connected");
    let listener = Arc::new(listener);
    // A dead token would only make the listener reconnect forever.
    let watcher = tokio::spawn({
        let (listener, slack) = (listener.clone(), app.slack.clone());
        async move {
            slack.access().until_revoked().await;
            // Let the ack of the envelope that said so go out first.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            tracing::warn!("Socket Mode: closing the connection, Slack access was revoked");
            listener.shutdown().await;
        }
    });
    Ok(SocketMode { listener, watcher })
}

async fn app_of(state: &State) -> Option<App> {
    state.read().await.get_user_state::<App>().cloned()
}

async fn on_push(
    event: SlackPushEventCallback,
    _client: Client,
    state: State,
) -> UserCallbackResult<()> {
    let started = std::time::Instant::now();
    let app = app_of(&state).await.ok_or("needful state missing")?;
    match gate::event(&app, &Origin::of_push(&event), &event) {
        EventGate::Serve => {}
        EventGate::Acknowledge(label) => {
            record("events", label, started);
            return Ok(());
        }
        // Withholding the ack makes Slack redeliver it.
        EventGate::Later => {
            record("events", "starting", started);
            return Err("needful is starting up; Slack will redeliver".into());
        }
    }
    let outcome = answer::event(&app, event).await;
    let label = match &outcome {
        Ok(handled) => handled.label(),
        Err(_) => Handled::Failed.label(),
    };
    record("events", label, started);
    outcome.map(|_| ()).map_err(|e| e.to_string().into())
}

async fn on_command(
    event: SlackCommandEvent,
    _client: Client,
    state: State,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let started = std::time::Instant::now();
    let app = app_of(&state).await.ok_or("needful state missing")?;
    if let Some((reply, outcome)) = gate::command(&app, &Origin::of_command(&event)) {
        record("commands", outcome, started);
        return Ok(reply);
    }
    let (reply, handled) = answer::command(&app, &event).await;
    record("commands", handled.label(), started);
    Ok(reply)
}

async fn on_interaction(
    event: SlackInteractionEvent,
    _client: Client,
    state: State,
) -> UserCallbackResult<SlackInteractionResponse> {
    let started = std::time::Instant::now();
    let app = app_of(&state).await.ok_or("needful state missing")?;
    if let Some((reply, outcome)) = gate::interaction(&app, &Origin::of_interaction(&event), &event)
    {
        record("interactions", outcome, started);
        return Ok(reply);
    }
    let (reply, handled) = answer::interaction(&app, &event).await;
    record("interactions", handled.label(), started);
    Ok(reply)
}

fn record(kind: &'static str, outcome: &'static str, started: std::time::Instant) {
    metrics::counter!("needful_requests_total", "kind" => kind, "outcome" => outcome, "transport" => "socket").increment(1);
    metrics::histogram!("needful_ack_seconds", "kind" => kind)
        .record(started.elapsed().as_secs_f64());
}

/// A failed handler withholds the ack (Slack redelivers); an envelope that does
/// not parse is acknowledged by slack-morphism after this returns.
fn on_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _client: Client,
    _state: State,
) -> HttpStatusCode {
    tracing::warn!(error = %err, "Socket Mode: could not handle an envelope; Slack will redeliver it");
    HttpStatusCode::INTERNAL_SERVER_ERROR
}
