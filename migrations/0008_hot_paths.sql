-- Indexes and one counter so the work per event stays the same however
-- many kudos a person or a message has collected (measured in BENCHMARKS.md).

-- The daily limit counts a giver's kudos of one day from the index alone.
CREATE INDEX kudos_log_giver_kind ON kudos_log (giver, kind, at_ms);

-- Standing celebrated kudos per message, kept by the reaction writer, so a
-- growing celebration is rendered without counting every kudos on it.
CREATE TABLE kudos_message_counts (
    channel    TEXT NOT NULL,
    message_ts TEXT NOT NULL,
    standing   INTEGER NOT NULL,
    PRIMARY KEY (channel, message_ts)
);
INSERT INTO kudos_message_counts (channel, message_ts, standing)
SELECT channel, message_ts, COUNT(*) FROM kudos_log
WHERE source = 'reaction' AND delivery = 'channel' AND kind = 'given'
  AND NOT EXISTS (SELECT 1 FROM kudos_log r WHERE r.retracts = kudos_log.id)
GROUP BY channel, message_ts;

-- kudos_log_giver_kind serves every look-up by giver (given kudos are
-- kind = 'given'), so the older (giver, at_ms) index is only write cost.
DROP INDEX kudos_log_giver;
