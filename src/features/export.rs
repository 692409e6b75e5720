//! `needful export …`: records written out for a manager, as CSV or JSON.

use chrono::NaiveDate;
use serde::Serialize;

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
