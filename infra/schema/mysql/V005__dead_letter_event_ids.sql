-- Dead letters carry event ids, version 5. Portable to MySQL 8 and MariaDB 10.6+.
-- The event id ("<bucket>/<shard>/<create_time>", the lake row's primary key) of a dead-lettered
-- record, whenever one can be read from it (source.event_id, the jtp-event-id header, the row's key
-- columns, or a Debezium event's key cells); NULL when the record is unreadable. The reconciler
-- counts a lake row whose event id is here as accounted for (not missing), like processed_events.
ALTER TABLE dead_letters ADD COLUMN event_id VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER record_offset, ADD KEY ix_dead_letters_event (event_id);
