//! Wires the parts together: `Application::build` then `run_until_stopped`.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    clock::{OffsetClock, SharedClock, SharedTimer, SystemClock, SystemTimer},
    config::Settings,
    features::Team,
    outbox::worker::Worker,
    slack::{client::SlackApi, verify::Verifier},
    state::{App, AppState, Mode},
    storage,
};

pub struct Application {
    listener: TcpListener,
    /// `/metrics` alone, on an internal address (NEEDFUL_METRICS_LISTEN).
    metrics_listener: Option<TcpListener>,
    state: App,
    mode: Mode,
    /// The WAL checkpoints' own connection.
    /// SQLite's checkpointer; PostgreSQL has none.
    checkpointer: Option<sqlx::SqlitePool>,
    shutdown: CancellationToken,
}

impl Application {
    /// Opens the database (applying migrations) and binds the listener.
    /// Tests pass their own clock and timer; None is the real one.
    pub async fn build(
        settings: Settings,
        clock: Option<SharedClock>,
        timer: Option<SharedTimer>,
        mode: Mode,
    ) -> anyhow::Result<Self> {
        let timer = timer.unwrap_or_else(|| Arc::new(SystemTimer));
        let clock: SharedClock = match (clock, settings.env.clock_start) {
            (Some(clock), _) => clock,
            (None, Some(start)) => {
                tracing::warn!(%start, "NEEDFUL_CLOCK_START is set: business time starts at {start} and runs from there (request verification still uses real time)");
                Arc::new(OffsetClock::starting_at(start))
            }
            (None, None) => Arc::new(SystemClock::default()),
        };
        settings.env.check_no_placeholders()?;
        if settings.env.bot_token.expose().is_empty() {
            anyhow::bail!("SLACK_BOT_TOKEN is not set; copy .env.example to .env and fill it in");
        }
        match mode {
            Mode::Http if settings.env.signing_secrets.is_empty() => {
                anyhow::bail!(
                    "SLACK_SIGNING_SECRET is not set; HTTP mode needs it to verify requests from Slack"
                )
            }
            Mode::SocketMode if settings.env.app_token.is_none() => {
                anyhow::bail!(
                    "SLACK_APP_TOKEN is not set; Socket Mode needs an app-level token (xapp-…) with connections:write"
                )
            }
            _ => {}
        }
        let database =
            Database::open(&settings.env.database_url, settings.env.database_pool).await?;
        let (db, reader, status_reader) = (
            database.db.clone(),
            database.reader.clone(),
            database.status_reader.clone(),
        );
        let checkpointer = database.checkpointer.clone();
        let slack = SlackApi::new(&settings.env.slack_api_url, &settings.env.bot_token)
            .context("could not set up the Slack client")?;
        let writes = Arc::new(storage::health::WriteHealth::default());
        let (writer, jobs) = storage::Writer::new(writes.clone(), clock.clone());
        let outbox = Worker::new(
            db.clone(),
            reader.clone(),
            writer.clone(),
            slack.clone(),
            settings.team.outbox.clone(),
            clock.clone(),
            timer.clone(),
        );
        let listener = TcpListener::bind(settings.env.listen)
            .await
            .with_context(|| {
                format!(
                    "could not listen on {} (NEEDFUL_LISTEN)",
                    settings.env.listen
                )
            })?;
        let metrics_listener = match settings.env.metrics_listen {
            None => None,
            Some(address) => Some(TcpListener::bind(address).await.with_context(|| {
                format!("could not listen on {address} (NEEDFUL_METRICS_LISTEN)")
            })?),
        };
        let verifier = Verifier::new(&settings.env.signing_secrets);
        let request_timeout = settings.env.request_timeout;
        // Served at once when Slack answers now; otherwise learned in the
        // background while listening (see slack::installation).
        crate::slack::installation::try_learn(&slack).await;
        crate::telemetry::metrics_handle();
        let application = Self {
            listener,
            metrics_listener,
            state: Arc::new(AppState {
                team: Arc::new(Team {
                    db,
                    writer,
                    setup: crate::features::setup::Setup::new(settings.team.clone()),
                    settings,
                    clock,
                    waiting: outbox.waiting().clone(),
                    workspace: Arc::new(crate::slack::directory::Directory::new(slack.clone())),
                    writes,
                    kudos_today: Default::default(),
                }),
                reader: status_reader,
                outbox,
                outbox_gauges: Default::default(),
                slack,
                intake: crate::slack::body::Intake {
                    verifier,
                    budget: Default::default(),
                    timeout: request_timeout,
                },
                ticks: tokio::sync::watch::channel(chrono::DateTime::<chrono::Utc>::MIN_UTC).0,
                draining: Default::default(),
            }),
            mode,
            checkpointer,
            shutdown: CancellationToken::new(),
        };
        // The writer ends when the state (and so every handle to it) is
        // dropped; it reaches the handlers through a weak handle for the same
        // reason.
        let events = Arc::new(crate::handlers::Events(Arc::downgrade(&application.state)));
        match database.writer {
            WriterConn::Sqlite(conn) => storage::writer::start(
                jobs,
                conn,
                application.state.team.settings.env.database_url.clone(),
                events,
            ),
            WriterConn::Postgres(options) => {
                storage::writer::start_postgres(jobs, *options, events)
            }
        }
        .context("could not start the writer")?;
        seed_setup(&application.state.team).await?;
        // The worker renders App Homes and celebrations at delivery; it
        // reaches the features through a weak handle so the two don't keep
        // each other alive.
        let weak = Arc::downgrade(&application.state);
        application.state.outbox.set_renderer(Arc::new(move |msg| {
            let weak = weak.clone();
            Box::pin(async move {
                let app = weak.upgrade().context("needful is stopping")?;
                crate::registry::render(&app.team, msg)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
        }));
        Ok(application)
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    pub fn address(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Where `/metrics` is served when NEEDFUL_METRICS_LISTEN is set.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> App {
        self.state.clone()
    }

    /// Cancel this to stop the app gracefully (tests; main wires signals to it).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until the shutdown token is cancelled: stops accepting, finishes
    /// in-flight requests, flushes what the outbox can, then returns.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self {
            listener,
            metrics_listener,
            state,
            mode,
            checkpointer,
            shutdown,
        } = self;
        // A stop first drains: /healthz answers 503 for NEEDFUL_DRAIN while
        // requests are still served, so a load balancer sends new ones to
        // the other replicas; then everything below stops on `shutdown`.
        let asked = shutdown;
        let shutdown = CancellationToken::new();
        {
            let (asked, stop, state) = (asked.clone(), shutdown.clone(), state.clone());
            tokio::spawn(async move {
                asked.cancelled().await;
                state
                    .draining
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                let drain = state.team.settings.env.drain;
                if !drain.is_zero() {
                    tracing::info!(
                        ?drain,
                        "stopping: /healthz answers 503 while requests drain to other replicas"
                    );
                    tokio::time::sleep(drain).await;
                }
                stop.cancel();
            });
        }
        let worker = tokio::spawn(state.outbox.clone().run(shutdown.clone()));
        let checkpoints = checkpointer.clone().map(|checkpointer| {
            tokio::spawn(storage::checkpoint::run(
                checkpointer,
                state.team.writer.clone(),
                storage::checkpoint::RESTART_AFTER,
                shutdown.clone(),
            ))
        });
        let scheduler = tokio::spawn(crate::scheduler::run(state.clone(), shutdown.clone()));
        let setup = tokio::spawn({
            let (team, shutdown) = (state.team.clone(), shutdown.clone());
            let saved = team.writer.setup_changes();
            async move { crate::features::setup::watch(&team.setup, &team.db, saved, shutdown).await }
        });
        let learning = tokio::spawn(crate::slack::installation::keep_learning(
            state.slack.clone(),
            shutdown.clone(),
        ));
        let socket = match mode {
            Mode::SocketMode => Some(crate::slack::socket::start(state.clone()).await?),
            Mode::Http => None,
        };
        let limits = crate::server::Limits {
            max_connections: crate::server::fit_to_open_files(
                state.team.settings.env.max_connections,
            ),
            request_timeout: state.team.settings.env.request_timeout,
        };
        tracing::info!(address = %listener.local_addr()?, ?mode, max_connections = limits.max_connections, "needful is listening");
        let internal = metrics_listener.map(|listener| {
            if let Ok(address) = listener.local_addr() {
                tracing::info!(%address, "serving /metrics on the internal address");
            }
            let limits = crate::server::Limits {
                max_connections: crate::server::INTERNAL_CONNECTIONS,
                ..limits
            };
            tokio::spawn(crate::server::serve(
                listener,
                crate::slack::http::metrics_router(state.clone()),
                limits,
                shutdown.clone(),
            ))
        });
        let router = crate::slack::http::router(state.clone(), mode, internal.is_none());
        crate::server::serve(listener, router, limits, shutdown.clone()).await;
        if let Some(internal) = internal {
            let _ = internal.await;
        }
        if let Some(socket) = socket {
            socket.shutdown().await;
        }
        shutdown.cancel();
        let _ = scheduler.await;
        let _ = setup.await;
        let _ = learning.await;
        let _ = worker.await;
        if let Some(checkpoints) = checkpoints {
            let _ = checkpoints.await;
        }
        if let Some(checkpointer) = &checkpointer
            && let Err(e) = storage::checkpoint::last(checkpointer).await
        {
            tracing::warn!(error = %e, "the last WAL checkpoint failed; the log is kept and replayed at the next start");
        }
        tracing::info!("needful stopped");
        Ok(())
    }
}

/// Reads the team's setup from the database, importing needful.toml into
/// an empty one, and says in the log what is set up.
async fn seed_setup(team: &Team) -> anyhow::Result<()> {
    use crate::features::setup::{Seeded, seed};
    let path = &team.settings.env.config_path;
    let from = if path.exists() {
        path.display().to_string()
    } else {
        "the built-in defaults".to_string()
    };
    match seed(
        &team.setup,
        &team.db,
        &team.writer,
        &team.settings.team,
        &from,
    )
    .await
    .context("could not read the team's setup from the database")?
    {
        Seeded::Imported => {
            tracing::info!(from = %from, "the team's setup was imported into the database; from now on it is kept there")
        }
        Seeded::Kept => {}
        Seeded::FileDiffers => tracing::warn!(
            file = %path.display(),
            "the file's setup differs from the one kept in the database, which is the one used; `needful export config` writes the database's out, `needful import config FILE` replaces it"
        ),
    }
    let setup = team.setup();
    if setup.kudos.channel.is_none() {
        tracing::warn!(
            "no kudos channel is set: kudos are recorded but not celebrated in a channel"
        );
    }
    if setup.pods.is_empty() {
        tracing::warn!("no pods are set up: check-ins, understaffed mode and roles stay quiet");
    }
    Ok(())
}

/// The connections the app holds, on either engine.
struct Database {
    /// Reads for the features and the outbox worker's scans.
    db: storage::Db,
    /// The outbox worker's renders.
    reader: storage::Db,
    /// `/healthz`, so it never waits behind the others.
    status_reader: storage::Db,
    checkpointer: Option<sqlx::SqlitePool>,
    writer: WriterConn,
}

enum WriterConn {
    Sqlite(sqlx::SqliteConnection),
    /// The writer opens its own, on its own runtime.
    Postgres(Box<sqlx::postgres::PgConnectOptions>),
}

impl Database {
    /// `pool`: PostgreSQL's read connections (`NEEDFUL_DATABASE_POOL`).
    async fn open(url: &str, pool: u32) -> anyhow::Result<Self> {
        use storage::engine::{self, Engine};
        match Engine::of(url)? {
            Engine::Sqlite => {
                // The writer's connection first: it creates and migrates the
                // database the readers then open.
                let writer = storage::connect_writer(url).await?;
                Ok(Self {
                    db: storage::connect_reader(url).await?,
                    reader: storage::connect_reader(url).await?,
                    status_reader: storage::connect_reader(url).await?,
                    checkpointer: Some(storage::connect_checkpointer(url).await?),
                    writer: WriterConn::Sqlite(writer),
                })
            }
            Engine::Postgres => {
                // Migrated here, once, under sqlx's lock: whichever replica
                // comes first applies what is new.
                let pool = engine::connect_postgres(url, pool).await?;
                let status = engine::open_postgres(url, 1).await?;
                Ok(Self {
                    db: storage::Db::Postgres(pool.clone()),
                    reader: storage::Db::Postgres(pool),
                    status_reader: storage::Db::Postgres(status),
                    checkpointer: None,
                    writer: WriterConn::Postgres(Box::new(engine::options(url)?)),
                })
            }
        }
    }
}
