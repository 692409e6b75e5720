//! `needful export …`: records written out for a manager, as CSV or JSON.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::{
    domain::{ids::UserId, workspace::NameSource},
    storage::{self, Db},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// Inclusive dates (UTC): `since` from 00:00, `until` to 23:59:59.
#[derive(Debug, Clone, Default)]
pub struct Range {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl Range {
    /// Bounds as instants for SQL: [start, end).
    pub fn bounds(&self) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
        let start = self
            .since
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        let end = self
            .until
            .and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        (start, end)
    }
}

/// How long a kept name is trusted before it is looked up again.
const NAME_FRESH_MS: i64 = 24 * 3600 * 1000;

/// People's names for an export, by id.
#[derive(Debug, Default)]
pub struct Names(HashMap<String, String>);

impl Names {
    /// `id`'s name; empty when it is not known (or `id` is empty).
    pub fn of(&self, id: &str) -> String {
        self.0.get(id).cloned().unwrap_or_default()
    }

    /// The names of space- or comma-separated ids, in the same order, `; `-separated.
    pub fn of_list(&self, ids: &str) -> String {
        ids.split([' ', ','])
            .filter(|id| !id.is_empty())
            .map(|id| self.of(id))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The names of `ids` (Slack user ids; other values are skipped): kept
    /// ones from the database when fresh, the rest asked of `source` and
    /// kept. A name `source` cannot give keeps its last value.
    pub async fn look_up(
        db: &Db,
        ids: impl IntoIterator<Item = String>,
        source: &dyn NameSource,
    ) -> anyhow::Result<Names> {
        let ids: BTreeSet<String> = ids
            .into_iter()
            .filter(|id| UserId::parse(id).is_ok())
            .collect();
        let ids: Vec<String> = ids.into_iter().collect();
        let now = chrono::Utc::now();
        let kept = {
            let mut tx = storage::Tx::read(db, now).await?;
            storage::people::names(&mut tx, &ids).await?
        };
        let stale: Vec<String> = ids
            .iter()
            .filter(|id| {
                kept.get(*id)
                    .is_none_or(|(_, at)| now.timestamp_millis() - at > NAME_FRESH_MS)
            })
            .cloned()
            .collect();
        let fetched = if stale.is_empty() {
            HashMap::new()
        } else {
            source.names(&stale).await
        };
        if !fetched.is_empty() {
            let rows: Vec<(String, String)> = fetched.clone().into_iter().collect();
            let mut tx = storage::Tx::write(db, now).await?;
            storage::people::save_names(&mut tx, &rows, now.timestamp_millis()).await?;
            tx.commit().await?;
        }
        let mut names: HashMap<String, String> =
            kept.into_iter().map(|(id, (name, _))| (id, name)).collect();
        names.extend(fetched);
        Ok(Names(names))
    }
}

/// Writes `rows` as CSV (with a header, also when there are none) or as a
/// JSON array.
pub fn write<T: Serialize + Default>(
    rows: &[T],
    format: Format,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, rows)?;
            writeln!(out)?;
        }
        Format::Csv => {
            if rows.is_empty() {
                // csv writes the header with the first row; take it from a
                // blank one so an empty export still says what its columns are.
                let mut probe = csv::Writer::from_writer(Vec::new());
                probe.serialize(T::default())?;
                let probe = probe.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
                let header = probe.split(|b| *b == b'\n').next().unwrap_or_default();
                out.write_all(header)?;
                writeln!(out)?;
                return Ok(());
            }
            let mut writer = csv::Writer::from_writer(out);
            for row in rows {
                writer.serialize(row)?;
            }
            writer.flush()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Serialize)]
    struct Row {
        when: String,
        count: i64,
    }

    #[test]
    fn an_empty_csv_export_still_has_its_header() {
        let mut out = Vec::new();
        write::<Row>(&[], Format::Csv, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "when,count\n");
        let mut out = Vec::new();
        write::<Row>(&[], Format::Json, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[]\n");
    }
}
