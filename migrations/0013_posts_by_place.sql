-- A kudos emoji on one of needful's own posts asks what the post is, by
-- where it is (channel, ts): a celebration is joined in on, anything else
-- is refused as thanking the bot. One index probe, and only for reactions
-- on needful's posts.
CREATE INDEX slack_messages_place ON slack_messages (channel, ts);
