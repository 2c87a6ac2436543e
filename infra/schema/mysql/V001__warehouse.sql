-- Warehouse schema, version 1. Portable to MySQL 8 and MariaDB 10.6+.
-- Statements are separated by lines ending in ';'. Applied once, recorded in schema_migrations.

CREATE TABLE company (
  company_id   INT          NOT NULL,
  name         VARCHAR(255) NOT NULL,
  created_at   TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at   TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (company_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE publisher (
  publisher_id INT          NOT NULL,
  name         VARCHAR(255) NOT NULL,
  created_at   TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at   TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (publisher_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Job dimension: job_id -> company_id (enrichment), plus the job's own group/campaign and title.
CREATE TABLE job (
  job_id       INT          NOT NULL,
  company_id   INT          NOT NULL,
  group_id     INT          NULL,
  campaign_id  INT          NULL,
  title        VARCHAR(255) NULL,
  created_at   TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at   TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (job_id),
  KEY ix_job_company (company_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Fact table: one row per grain (job_id, dates, hours, publisher_id, campaign_id, group_id).
-- Column names are those of the original system (Grafana queries use them).
-- Money is DECIMAL (exact sums). bid_set (average bid over clicks) is derived from the exact sum
-- and count kept beside it, so merging two partial aggregates never averages averages.
CREATE TABLE events (
  id                       BIGINT        NOT NULL AUTO_INCREMENT,
  job_id                   INT           NOT NULL,
  dates                    DATE          NOT NULL,
  hours                    TINYINT       NOT NULL,
  disqualified_application BIGINT        NOT NULL DEFAULT 0,
  qualified_application    BIGINT        NOT NULL DEFAULT 0,
  conversion               BIGINT        NOT NULL DEFAULT 0,
  company_id               INT           NULL,
  group_id                 INT           NOT NULL DEFAULT 0,
  campaign_id              INT           NOT NULL DEFAULT 0,
  publisher_id             INT           NOT NULL DEFAULT 0,
  clicks                   BIGINT        NOT NULL DEFAULT 0,
  spend_hour               DECIMAL(20,6) NOT NULL DEFAULT 0,
  bid_count                BIGINT        NOT NULL DEFAULT 0,
  bid_set                  DECIMAL(20,6) AS (CASE WHEN bid_count = 0 THEN NULL ELSE spend_hour / bid_count END) STORED,
  other_tracks             BIGINT        NOT NULL DEFAULT 0,
  sources                  VARCHAR(32)   NOT NULL DEFAULT 'Cassandra',
  created_at               TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at               TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uq_events_grain (job_id, dates, hours, publisher_id, campaign_id, group_id),
  KEY ix_events_time (dates, hours),
  KEY ix_events_company (company_id),
  KEY ix_events_updated (updated_at),
  CONSTRAINT ck_events_hours CHECK (hours BETWEEN 0 AND 23)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Offset ledger: the highest Kafka offset applied per topic-partition, updated in the same
-- transaction as the aggregates, so a redelivered record is a no-op.
CREATE TABLE kafka_offset_ledger (
  topic        VARCHAR(249) NOT NULL,
  partition_id INT          NOT NULL,
  last_offset  BIGINT       NOT NULL,
  updated_at   TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (topic, partition_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Dead letters: records that cannot be applied, with the reason and where they came from.
CREATE TABLE dead_letters (
  id           BIGINT        NOT NULL AUTO_INCREMENT,
  topic        VARCHAR(249)  NOT NULL,
  partition_id INT           NOT NULL,
  record_offset BIGINT       NOT NULL,
  record_key   VARBINARY(1024) NULL,
  payload      LONGBLOB      NULL,
  reason_code  VARCHAR(64)   NOT NULL,
  reason       VARCHAR(2048) NOT NULL,
  record_timestamp TIMESTAMP(3) NULL,
  created_at   TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uq_dead_letters_source (topic, partition_id, record_offset),
  KEY ix_dead_letters_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
