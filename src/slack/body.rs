//! Reading a Slack request's body without letting a client make us hold much
//! of anything: headers are checked before a byte of the body is read, the
//! body is read within the request timeout, and all bodies being read at
//! once share one memory budget.

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use tokio::sync::Semaphore;

use crate::slack::verify::{Rejection, Verifier};

/// Larger bodies are refused (413) without being read whole. Slack's events
/// and commands are a few KiB; an interaction carries the whole view or
/// message it came from, which stays well under this.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Slack's certificate check (`ssl_check=1&token=…`) is the one request that
/// comes unsigned; it is tiny, so an unsigned body is read only this far.
pub const SSL_CHECK_MAX_BYTES: usize = 1024;

/// Every body being read at once shares this much memory, so a flood of
/// clients with forged but well-formed headers holds at most this much (not
/// connections × [`MAX_BODY_BYTES`]). Slack's requests are a few KiB each:
/// thousands fit.
pub const BUDGET_BYTES: usize = 32 * 1024 * 1024;

/// How long a body waits for its share of the budget before a 503.
const BUDGET_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// The budget is counted in KiB, so its permits fit a `u32`.
const UNIT: usize = 1024;

/// Bytes of request bodies the app is reading at the moment.
pub struct BodyBudget(Semaphore);

impl Default for BodyBudget {
    fn default() -> Self {
        Self(Semaphore::new(BUDGET_BYTES / UNIT))
    }
}

/// What reading a request takes: the signature check, the shared memory
/// budget, and how long a client may take to send.
pub struct Intake {
    pub verifier: Verifier,
    pub budget: BodyBudget,
    pub timeout: std::time::Duration,
}

/// A request refused before (or while) its body was read.
pub struct Refused {
    /// The `outcome` label of `needful_requests_total`.
    pub outcome: &'static str,
    pub response: Response,
}

impl Refused {
    fn new(outcome: &'static str, status: StatusCode, message: &'static str) -> Self {
        let mut response = (status, message).into_response();
        // The body may be unread: this connection cannot carry another request.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        Self { outcome, response }
    }
}

fn slack_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// True when the request carries neither of Slack's signature headers.
pub fn is_unsigned(headers: &HeaderMap) -> bool {
    slack_header(headers, "x-slack-signature").is_none()
        && slack_header(headers, "x-slack-request-timestamp").is_none()
}

/// Counts and logs a request that is not from Slack, and refuses it.
pub fn rejected(rejection: Rejection) -> Refused {
    metrics::counter!("needful_rejected_signatures_total", "reason" => rejection.label())
        .increment(1);
    tracing::warn!(reason = %rejection, "rejected a request that did not come from Slack");
    Refused::new(
        "rejected",
        StatusCode::UNAUTHORIZED,
        "invalid request signature",
    )
}

/// Checks the signature headers, then reads the body (bounded in size, time
/// and shared memory) and checks Slack's signature over its raw bytes.
pub async fn read_signed(
    intake: &Intake,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, Refused> {
    let signature = slack_header(headers, "x-slack-signature");
    let timestamp = slack_header(headers, "x-slack-request-timestamp");
    intake
        .verifier
        .precheck(signature, timestamp)
        .map_err(rejected)?;
    let bytes = read_bounded(intake, headers, body, MAX_BODY_BYTES).await?;
    intake
        .verifier
        .verify(signature, timestamp, &bytes)
        .map_err(rejected)?;
    Ok(bytes)
}

/// Reads at most `limit` bytes within the request timeout, holding a share
/// of the budget while it does.
pub async fn read_bounded(
    intake: &Intake,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, Refused> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let timeout = intake.timeout;
    // Without a length (chunked) the body may be as long as the limit.
    let share = declared.unwrap_or(limit).div_ceil(UNIT).max(1);
    let share = u32::try_from(share).unwrap_or(u32::MAX);
    // Not long: while the budget is spent, waiting clients hold connection
    // slots that Slack's requests, queued in the backlog behind them, need.
    let wait = timeout.min(BUDGET_WAIT);
    let Ok(Ok(_held)) = tokio::time::timeout(wait, intake.budget.0.acquire_many(share)).await
    else {
        tracing::warn!("too many request bodies are being read at once; answering 503");
        return Err(Refused::new(
            "busy",
            StatusCode::SERVICE_UNAVAILABLE,
            "too many requests are being read at once; try again shortly",
        ));
    };
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => {
            if e.into_inner()
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(too_large())
            } else {
                Err(Refused::new(
                    "unreadable",
                    StatusCode::BAD_REQUEST,
                    "could not read the request body",
                ))
            }
        }
        Err(_) => Err(Refused::new(
            "timeout",
            StatusCode::REQUEST_TIMEOUT,
            "the request body did not arrive in time",
        )),
    }
}

fn too_large() -> Refused {
    Refused::new(
        "too_large",
        StatusCode::PAYLOAD_TOO_LARGE,
        "request body too large",
    )
}
