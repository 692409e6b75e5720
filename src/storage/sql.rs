//! One statement, either engine: storage's functions write their SQL once
//! and [`on!`](crate::storage::on) runs it on whichever database the app
//! was started on. SQL is written with SQLite's `?` (or `?N`) placeholders;
//! PostgreSQL gets them numbered (`$1`, `$2`, …). Where the engines'
//! dialects differ, the function says so with [`On::engine`] and two
//! statements.

use std::borrow::Cow;

use super::engine::Engine;

/// A connection, transaction or pool of either engine: what [`on!`] takes.
///
/// [`on!`]: crate::storage::on
pub enum On<S, P> {
    Sqlite(S),
    Postgres(P),
}

impl<S, P> On<S, P> {
    pub fn engine(&self) -> Engine {
        match self {
            On::Sqlite(_) => Engine::Sqlite,
            On::Postgres(_) => Engine::Postgres,
        }
    }
}

/// Runs `$body` with `$q` the statement `$sql`, in that engine's
/// placeholders, and `$c` the connection of `$on` (an [`On`]): the body is
/// compiled once per engine, so binds and rows are checked against both.
#[macro_export]
#[doc(hidden)]
macro_rules! on {
    ($on:expr, $sql:expr, |$q:ident, $c:ident| $body:expr) => {
        match $on {
            $crate::storage::sql::On::Sqlite($c) => {
                let sql = $sql;
                let $q: &str = &sql;
                $body
            }
            $crate::storage::sql::On::Postgres($c) => {
                let sql = $sql;
                let numbered = $crate::storage::sql::numbered(&sql);
                let $q: &str = &numbered;
                $body
            }
        }
    };
}
pub use crate::on;

/// `sql` with SQLite's placeholders (`?`, `?N`) as PostgreSQL's (`$N`).
/// Question marks inside quotes are left alone.
pub fn numbered(sql: &str) -> Cow<'_, str> {
    if !sql.contains('?') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut next = 0;
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    next += 1;
                    out.push_str(&next.to_string());
                } else {
                    out.push_str(&digits);
                }
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(numbered("SELECT 1"), "SELECT 1");
        assert_eq!(
            numbered("UPDATE t SET a = ?, b = ? WHERE c = ?"),
            "UPDATE t SET a = $1, b = $2 WHERE c = $3"
        );
        assert_eq!(
            numbered("SELECT ?1, ?2 WHERE ?2 IS NULL OR x = ?10"),
            "SELECT $1, $2 WHERE $2 IS NULL OR x = $10"
        );
        assert_eq!(
            numbered("SELECT '?' , ? FROM t WHERE s = 'a?b'"),
            "SELECT '?' , $1 FROM t WHERE s = 'a?b'"
        );
    }
}
