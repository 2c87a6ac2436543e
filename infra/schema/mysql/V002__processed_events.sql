-- Aggregator de-duplication guard, version 2. Portable to MySQL 8 and MariaDB 10.6+.
-- Event ids (the lake row's primary key, "<bucket>/<shard>/<create_time>") applied to `events`,
-- written in the same transaction as the aggregates and the offset ledger. A record whose event id
-- is already here is skipped, so an event re-sent at a new offset (e.g. after an aborted Kafka
-- transaction that a read-uncommitted consumer saw) counts once. Rows older than the configured
-- window (AGG_DEDUP_WINDOW_HOURS) are pruned by the aggregator (the writer gets DELETE on this table
-- only). ASCII binary keys: compact, case-sensitive, and cheap to compare.

CREATE TABLE processed_events (
  event_id     VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  processed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (event_id),
  KEY ix_processed_events_at (processed_at)
) ENGINE=InnoDB DEFAULT CHARSET=ascii;
