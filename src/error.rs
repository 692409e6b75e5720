//! Two kinds of failure: the person's (told what to do instead) and ours
//! (logged with its cause; the person only hears that nothing was lost).

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Something the person can fix; the message says how.
    #[error("{0}")]
    User(String),
    /// Our fault: database trouble, a bug. Never shown in detail.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("database"))
    }
}

/// Shorthand for a user-facing refusal.
pub fn user_error<T>(message: impl Into<String>) -> Result<T, AppError> {
    Err(AppError::User(message.into()))
}

/// What a person sees when something broke on our side.
pub const INTERNAL_ERROR_TEXT: &str = ":warning: Something went wrong on needful's side and nothing was changed. Please try again in a minute; if it keeps happening, tell whoever runs needful.";
