//! The team's setup as the features read it, kept current. It is kept in the database
//! ([`storage::setup`]): needful.toml is imported into an empty database,
//! and from then on changes are made to the stored setup (with
//! `needful import config` today). Each instance keeps the setup it read
//! and looks at the stored version every second ([`watch`]) and before the
//! scheduler runs its jobs, so a change made anywhere applies within a
//! second, with no restart.

use std::sync::{Arc, RwLock};

use crate::{
    config::TeamConfig,
    error::AppError,
    storage::{self, Db, Tx, Writer},
};

/// The setup as last read, and where the sweep for deactivated people is.
pub struct Setup {
    /// The setup and the version it was read at (0: not read yet).
    current: RwLock<(i64, Arc<TeamConfig>)>,
    /// [`super::leave::sweep`]'s place.
    pub(super) sweep: std::sync::Mutex<Sweep>,
}

/// Where the sweep for deactivated people is: the minute it last asked,
/// and whom it asks next.
#[derive(Debug, Default)]
pub(super) struct Sweep {
    pub(super) minute: i64,
    pub(super) next: usize,
}

impl Setup {
    /// Starts with `config` until the stored setup is read ([`seed`]).
    pub fn new(config: TeamConfig) -> Self {
        Self {
            current: RwLock::new((0, Arc::new(config))),
            sweep: Default::default(),
        }
    }

    /// The setup now: a snapshot that a change does not alter under its reader.
    pub fn get(&self) -> Arc<TeamConfig> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }

    pub fn version(&self) -> i64 {
        self.current.read().unwrap_or_else(|e| e.into_inner()).0
    }

    fn set(&self, version: i64, config: TeamConfig) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = (version, Arc::new(config));
    }

    /// Reads the stored setup again if its version moved. True when it did.
    pub async fn refresh(&self, db: &Db) -> anyhow::Result<bool> {
        let stored = storage::setup::version(db).await?;
        if stored.is_none_or(|v| v == self.version()) {
            return Ok(false);
        }
        let Some((version, json)) = storage::setup::current(db).await? else {
            return Ok(false);
        };
        let config = decode(&json)?;
        self.set(version, config);
        tracing::info!(version, "the team's setup changed; using it from now on");
        Ok(true)
    }
}

/// How often a running instance looks for a change made elsewhere.
const WATCH: std::time::Duration = std::time::Duration::from_secs(1);

/// Until `shutdown`: reads the stored setup again right after this
/// instance's writer committed a change to it (`saved`), and every second
/// for changes made elsewhere (another instance, `needful import config`).
/// (The scheduler also looks before every run of its jobs.)
pub async fn watch(
    setup: &Setup,
    db: &Db,
    saved: Arc<tokio::sync::Notify>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let mut every = tokio::time::interval(WATCH);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = saved.notified() => {}
            _ = every.tick() => {}
        }
        if let Err(e) = setup.refresh(db).await {
            tracing::warn!(error = %format!("{e:#}"), "could not read the team's setup; keeping the one in use");
        }
    }
}

/// The setup as stored ([`storage::setup`]'s JSON).
pub fn decode(json: &str) -> anyhow::Result<TeamConfig> {
    let config: TeamConfig = serde_json::from_str(json)
        .map_err(|e| anyhow::anyhow!("the stored setup could not be read: {e}"))?;
    Ok(config)
}

/// The setup as stored, read in `tx` (under the write lock, so nothing
/// changes it before `tx` writes), with its version; version 0 and the
/// defaults when nothing is stored yet.
pub async fn stored(tx: &mut Tx<'_>) -> Result<(i64, TeamConfig), AppError> {
    match storage::setup::current_in(tx).await? {
        Some((version, json)) => Ok((version, decode(&json)?)),
        None => Ok((0, TeamConfig::default())),
    }
}

/// Stores `next` in place of the setup at `version`, recording `by` and
/// `what`. False, writing nothing, when another change came first.
pub async fn replace(
    tx: &mut Tx<'_>,
    version: i64,
    next: &TeamConfig,
    by: &str,
    what: &str,
) -> Result<bool, AppError> {
    let json = serde_json::to_string(next).map_err(anyhow::Error::from)?;
    Ok(storage::setup::replace(tx, version, &json, by, what)
        .await?
        .is_some())
}

/// What happened to needful.toml at start.
#[derive(Debug, PartialEq, Eq)]
pub enum Seeded {
    /// The database was empty: the file's setup (or the defaults) went in.
    Imported,
    /// The database holds the setup, and the file says the same.
    Kept,
    /// The database holds the setup, and the file now says something else;
    /// the database's is used.
    FileDiffers,
}

/// At start: an empty database takes `file`'s setup (`from` says where it
/// came from); otherwise the stored setup is used. Then reads it.
pub async fn seed(
    setup: &Setup,
    db: &Db,
    writer: &Writer,
    file: &TeamConfig,
    from: &str,
) -> anyhow::Result<Seeded> {
    let seeded = match storage::setup::current(db).await? {
        Some((_, json)) => {
            // The outbox's tuning is not part of the setup, so not compared.
            let stored = TeamConfig {
                outbox: file.outbox.clone(),
                ..decode(&json)?
            };
            if &stored == file {
                Seeded::Kept
            } else {
                Seeded::FileDiffers
            }
        }
        None => {
            save(
                writer,
                file,
                "needful at first start",
                &format!("imported from {from}"),
            )
            .await?;
            Seeded::Imported
        }
    };
    setup.refresh(db).await?;
    Ok(seeded)
}

/// Stores `config` as the team's setup, checked by the same rules as
/// `needful check-config`; `by` and `what` go into the audit list.
pub async fn save(
    writer: &Writer,
    config: &TeamConfig,
    by: &str,
    what: &str,
) -> Result<i64, AppError> {
    config
        .validate("the setup")
        .map_err(|e| AppError::User(e.to_string()))?;
    let json = serde_json::to_string(config).map_err(anyhow::Error::from)?;
    let (by, what) = (by.to_string(), what.to_string());
    writer
        .transaction(move |tx| {
            Box::pin(async move {
                Ok::<_, AppError>(storage::setup::save(tx, &json, &by, &what).await?)
            })
        })
        .await
}
