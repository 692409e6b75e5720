//! The command line: `needful demo | serve | migrate | copy | check-config | manifest | features | export | import | backup`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::{
    Mode,
    app::Application,
    config::{EnvSettings, Settings, TeamConfig},
    features::{self, export},
    storage,
};

#[derive(Debug, Parser)]
#[command(
    name = "needful",
    version,
    about = "A Slack bot for customer-support teams"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// `needful demo`, which logs only warnings unless `RUST_LOG` says otherwise.
    pub fn is_demo(&self) -> bool {
        #[cfg(feature = "simulator")]
        if matches!(self.command, Command::Demo { .. }) {
            return true;
        }
        false
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Try needful in a browser: the bot, a simulated Slack workspace with a
    /// sample team, and a page to use it from. Needs no Slack app, tokens or
    /// environment.
    #[cfg(feature = "simulator")]
    Demo {
        /// Where the page is served; 127.0.0.1:0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: std::net::SocketAddr,
        /// Keep the demo's data in this SQLite file (a temporary one otherwise).
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Copy a team's whole database from SQLite to an empty PostgreSQL:
    /// history, the trophy chain, check-ins, roles, the setup, the outbox.
    Copy {
        /// The SQLite database (a stopped bot's file, or a backup).
        #[arg(long)]
        from: String,
        /// The empty PostgreSQL database.
        #[arg(long)]
        to: String,
    },
    /// Run the bot (HTTP mode unless --socket-mode).
    Serve {
        /// Connect to Slack over Socket Mode (needs SLACK_APP_TOKEN) instead of receiving HTTP.
        #[arg(long)]
        socket_mode: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Validate the config file and print what was understood.
    CheckConfig,
    /// Print the Slack app manifest with request URLs filled in.
    Manifest {
        /// The public base URL Slack should call, e.g. https://needful.example.org
        #[arg(long)]
        url: Option<String>,
        /// Print the Socket Mode variant (no request URLs).
        #[arg(long)]
        socket_mode: bool,
    },
    /// Print every feature with its commands, buttons, events, jobs and App Home section.
    Features,
    /// Write a consistent copy of the database to PATH while the bot runs.
    Backup { path: PathBuf },
    /// Replace the team's setup with a file's (checked as check-config
    /// does); it applies within a second, without a restart.
    Import {
        #[arg(value_enum)]
        what: ImportWhat,
        /// The file, in needful.toml's format.
        path: PathBuf,
    },
    /// Write records out for a manager (to standard output).
    Export {
        #[arg(value_enum)]
        what: ExportWhat,
        /// First day to include (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
        /// Last day to include (YYYY-MM-DD, UTC).
        #[arg(long)]
        until: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value = "csv")]
        format: export::Format,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ImportWhat {
    /// The team's setup: pods, people, channels, check-in, roles, kudos, trophy.
    Config,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportWhat {
    /// The team's setup as needful.toml holds it (ignores the dates and format).
    Config,
    /// Every kudos and retraction.
    Kudos,
    /// The trophy chain.
    Trophy,
    /// Every understaffed switch.
    Staffing,
}

fn settings() -> anyhow::Result<Settings> {
    let env = EnvSettings::from_env()?;
    let (team, found) = TeamConfig::load(&env.config_path)?;
    if !found {
        tracing::warn!(path = %env.config_path.display(), "no config file; using built-in defaults");
    }
    Ok(Settings { env, team })
}

/// Runs one CLI command to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        #[cfg(feature = "simulator")]
        Command::Demo { listen, db } => {
            let options = crate::demo::Options { listen, db };
            crate::demo::run(options, shutdown_signal()).await
        }
        Command::Serve { socket_mode } => {
            let mode = if socket_mode {
                Mode::SocketMode
            } else {
                Mode::Http
            };
            // Listen for signals before anything else, so SIGTERM during
            // start-up is a graceful stop too.
            let signal = shutdown_signal();
            let settings = settings()?;
            let app = Application::build(settings, None, None, mode).await?;
            let token = app.shutdown_token();
            tokio::spawn(async move {
                signal.await;
                tracing::info!(
                    "shutting down: finishing in-flight requests and flushing the outbox"
                );
                token.cancel();
            });
            app.run_until_stopped().await
        }
        Command::Copy { from, to } => {
            let counts = storage::copy::copy(&from, &to).await?;
            let total: i64 = counts.iter().map(|(_, n)| n).sum();
            println!(
                "copied {total} rows into {}, verified table by table:",
                storage::engine::redact(&to)
            );
            for (table, n) in counts {
                println!("  {table:<18} {n}");
            }
            Ok(())
        }
        Command::Migrate => {
            let env = EnvSettings::from_env()?;
            match storage::engine::Engine::of(&env.database_url)? {
                storage::engine::Engine::Sqlite => {
                    storage::connect(&env.database_url).await?;
                }
                storage::engine::Engine::Postgres => {
                    storage::engine::connect_postgres(&env.database_url, 1)
                        .await?
                        .close()
                        .await;
                }
            }
            println!(
                "migrations applied to {}",
                storage::engine::redact(&env.database_url)
            );
            Ok(())
        }
        Command::CheckConfig => {
            let env = EnvSettings::from_env()?;
            let (team, found) = TeamConfig::load(&env.config_path)?;
            // Read-only: checking never creates or migrates a database. One
            // that does not exist yet, or predates the setup, holds none.
            let stored = match storage::connect_reader(&env.database_url).await {
                Ok(db) => stored_setup(&db).await.ok().flatten(),
                Err(_) => None,
            };
            match (found, stored) {
                (true, Some(_)) => println!(
                    "{} is valid, but it is not what needful uses: the team's setup is kept in the database, and the file is only imported into an empty one. `needful export config` writes the setup in use; `needful import config {}` replaces it with this file.",
                    env.config_path.display(),
                    env.config_path.display()
                ),
                (false, Some(_)) => println!(
                    "The team's setup is kept in the database; {} does not exist, and is not needed.",
                    env.config_path.display()
                ),
                (true, None) => println!(
                    "{} is valid; needful imports it into the database when it first starts.",
                    env.config_path.display()
                ),
                (false, None) => println!(
                    "{} does not exist; built-in defaults apply.",
                    env.config_path.display()
                ),
            }
            print!("{}", team.describe());
            Ok(())
        }
        Command::Import { what, path } => {
            let ImportWhat::Config = what;
            let env = EnvSettings::from_env()?;
            let (team, found) = TeamConfig::load(&path)?;
            if !found {
                anyhow::bail!("{} does not exist", path.display());
            }
            let db = storage::connect(&env.database_url).await?;
            let mut tx = storage::Tx::write(&db, chrono::Utc::now()).await?;
            let json = serde_json::to_string(&team)?;
            let version = storage::setup::save(
                &mut tx,
                &json,
                "needful import config",
                &format!("imported from {}", path.display()),
            )
            .await?;
            tx.commit().await?;
            println!(
                "The team's setup is now {} (version {version}); a running needful uses it within a second.",
                path.display()
            );
            print!("{}", team.describe());
            Ok(())
        }
        Command::Manifest { url, socket_mode } => {
            print!("{}", crate::manifest::render(url.as_deref(), socket_mode)?);
            Ok(())
        }
        Command::Features => {
            print!("{}", crate::registry::table());
            Ok(())
        }
        Command::Export {
            what,
            since,
            until,
            format,
        } => {
            let env = EnvSettings::from_env()?;
            let db = storage::connect(&env.database_url).await?;
            let range = export::Range { since, until };
            let mut out = std::io::stdout().lock();
            match what {
                ExportWhat::Config => {
                    use std::io::Write as _;
                    let setup = stored_setup(&db).await?.context(
                        "the database holds no setup yet; it is imported from needful.toml when needful first starts",
                    )?;
                    Ok(out.write_all(setup.to_toml().as_bytes())?)
                }
                ExportWhat::Kudos => {
                    let names = export_names(&env)?;
                    features::kudos::export(&db, &range, format, names.as_ref(), &mut out).await
                }
                ExportWhat::Trophy => {
                    let names = export_names(&env)?;
                    features::trophy::export(&db, &range, format, names.as_ref(), &mut out).await
                }
                ExportWhat::Staffing => {
                    let names = export_names(&env)?;
                    features::staffing::export(&db, &range, format, names.as_ref(), &mut out).await
                }
            }
        }
        Command::Backup { path } => {
            let env = EnvSettings::from_env()?;
            if storage::engine::Engine::of(&env.database_url)? == storage::engine::Engine::Postgres
            {
                storage::engine::pg_dump(&env.database_url, &path).await?;
                println!(
                    "backed up {} to {} (restore: pg_restore --clean --if-exists --dbname=URL {})",
                    storage::engine::redact(&env.database_url),
                    path.display(),
                    path.display()
                );
                return Ok(());
            }
            let db = storage::connect(&env.database_url).await?;
            storage::backup(&db, &path)
                .await
                .with_context(|| format!("backup to {} failed", path.display()))?;
            println!("backed up {} to {}", env.database_url, path.display());
            Ok(())
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are registered when this is
/// called, not when the future is first polled, so a signal that arrives
/// during start-up is caught rather than killing the process.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        let terminate = async {
            match terminate {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = terminate => {},
        }
    }
}

/// The setup kept in the database, if any.
async fn stored_setup(db: &storage::Db) -> anyhow::Result<Option<TeamConfig>> {
    match storage::setup::current(db).await? {
        Some((_, json)) => Ok(Some(features::setup::decode(&json)?)),
        None => Ok(None),
    }
}

/// Where an export gets people's names: Slack, with the bot's token; without
/// one, the names kept from earlier exports (and a note saying so).
fn export_names(
    env: &EnvSettings,
) -> anyhow::Result<Box<dyn crate::domain::workspace::NameSource>> {
    if env.bot_token.expose().is_empty() {
        eprintln!(
            "note: SLACK_BOT_TOKEN is not set, so names are only those kept from earlier exports"
        );
        return Ok(Box::new(crate::domain::workspace::NoNames));
    }
    let api = crate::slack::client::SlackApi::new(&env.slack_api_url, &env.bot_token)?;
    Ok(Box::new(crate::slack::directory::ExportNames(api)))
}
