//! Small helpers: ids, timestamps.

use rand::Rng;

/// A random RFC 4122 version-4 style id, the shape Slack uses for envelope ids.
pub(crate) fn uuid_v4() -> String {
    let mut b: [u8; 16] = rand::thread_rng().r#gen();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

pub(crate) fn new_ticket() -> String {
    uuid_v4()
}

/// Random lowercase hex of `bytes` bytes.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut rng = rand::thread_rng();
    let v: Vec<u8> = (0..bytes).map(|_| rng.r#gen()).collect();
    hex::encode(v)
}

/// Random decimal digits, for the numeric parts of trigger ids and response URLs.
pub(crate) fn random_digits(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// Random base62 characters, as in the last segment of a response URL.
pub(crate) fn random_alnum(n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect()
}

/// A fresh trigger id in Slack's `<digits>.<digits>.<hex>` shape.
pub(crate) fn new_trigger_id() -> String {
    format!("{}.1234567890123.{}", random_digits(13), random_hex(16))
}

/// `1732600000.000200`: digits, a dot, six digits.
pub(crate) fn is_slack_ts(s: &str) -> bool {
    match s.split_once('.') {
        Some((secs, micros)) => {
            !secs.is_empty()
                && secs.bytes().all(|b| b.is_ascii_digit())
                && micros.len() == 6
                && micros.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Unix seconds now.
pub(crate) fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A ts for "now", for event_ts fields.
pub(crate) fn ts_now() -> String {
    let now = chrono::Utc::now();
    format!("{}.{:06}", now.timestamp(), now.timestamp_subsec_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
        assert_eq!(u.matches('-').count(), 4);
    }

    #[test]
    fn ts_format() {
        assert!(is_slack_ts("1732600000.000200"));
        assert!(!is_slack_ts("1732600000"));
        assert!(!is_slack_ts("1732600000.2"));
        assert!(!is_slack_ts("abc.000200"));
        assert!(is_slack_ts(&ts_now()));
    }
}
