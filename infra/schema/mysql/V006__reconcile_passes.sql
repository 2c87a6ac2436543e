-- Reconcile passes, version 6. Portable to MySQL 8 and MariaDB 10.6+.
-- One row per pass of the reconciler (scheduled function, `jtp reconcile`) or of a replay/rebuild:
-- inserted with status 'running' when the pass starts, updated once when it ends. Grafana charts it
-- (time column: started_at) and `jtp status` shows the newest row.
-- from_ms / to_ms: the ingest-time range the pass looked at (epoch ms, [from, to)).
-- covered_until_ms: scheduled passes only; every check due up to this instant was done (the next
-- scheduled pass starts after it).
-- started_at / finished_at are instants (TIMESTAMP), like the other audit columns.
-- The writer account (the Lambdas' user) inserts and updates rows; nothing deletes them.

CREATE TABLE reconcile_passes (
  id                 BIGINT        NOT NULL AUTO_INCREMENT,
  mode               VARCHAR(16)   NOT NULL,
  dry_run            TINYINT(1)    NOT NULL DEFAULT 0,
  from_ms            BIGINT        NOT NULL,
  to_ms              BIGINT        NOT NULL,
  started_at         TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  finished_at        TIMESTAMP(3)  NULL,
  status             VARCHAR(16)   NOT NULL DEFAULT 'running',
  partitions_checked BIGINT        NOT NULL DEFAULT 0,
  rows_compared      BIGINT        NOT NULL DEFAULT 0,
  missing_found      BIGINT        NOT NULL DEFAULT 0,
  republished        BIGINT        NOT NULL DEFAULT 0,
  dead_lettered      BIGINT        NOT NULL DEFAULT 0,
  drift_left         BIGINT        NOT NULL DEFAULT 0,
  covered_until_ms   BIGINT        NULL,
  error              VARCHAR(2048) NULL,
  PRIMARY KEY (id),
  KEY ix_reconcile_passes_started (started_at),
  KEY ix_reconcile_passes_mode (mode, id),
  CONSTRAINT ck_reconcile_passes_mode CHECK (mode IN ('scheduled', 'cli', 'replay', 'rebuild')),
  CONSTRAINT ck_reconcile_passes_status CHECK (status IN ('running', 'done', 'partial', 'failed')),
  CONSTRAINT ck_reconcile_passes_range CHECK (from_ms <= to_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
