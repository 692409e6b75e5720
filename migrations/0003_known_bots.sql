-- Users known to be bots (needful itself, and any bot seen posting), so that
-- kudos and the trophy go to people without asking Slack before the ack.
CREATE TABLE known_bots (
    user_id    TEXT PRIMARY KEY,
    learned_at TEXT NOT NULL
);
