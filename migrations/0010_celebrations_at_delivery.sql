-- Celebrations are rendered when the outbox delivers them, from the kudos
-- standing then (as App Homes already were), so a reaction writes fewer
-- rows and b-trees (measured in BENCHMARKS.md).

-- A row rendered at delivery names what it renders; while one such row is
-- pending, another for the same thing would say nothing new and is not added.
ALTER TABLE outbox ADD COLUMN render_key TEXT;
CREATE INDEX outbox_render_waiting ON outbox (render_key)
    WHERE status = 'pending' AND render_key IS NOT NULL;

-- The standing kudos of a giver on a message are found in kudos_log through
-- this index, so kudos_live (a copy of that) goes.
DROP INDEX kudos_log_message;
CREATE INDEX kudos_log_message ON kudos_log (channel, message_ts, giver);
DROP TABLE kudos_live;

-- A celebration counts its kudos when it is rendered (once per paced post,
-- not once per reaction), so the per-message counter goes.
DROP TABLE kudos_message_counts;
