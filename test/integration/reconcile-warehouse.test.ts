import type { Connection, Pool } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateMysql } from "../../infra/migrate/migrate-mysql.js";
import { MysqlAccountedEvents } from "../../lib/adapters/mysql/accounted-events.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import { MysqlJobCompanyLookup } from "../../lib/adapters/mysql/job-company-lookup.js";
import { MysqlWarehouse } from "../../lib/adapters/mysql/mysql-warehouse.js";
import {
  MysqlReconcilePassLog,
  RECONCILE_PASSES_TABLE,
  readLastReconcilePass,
} from "../../lib/adapters/mysql/reconcile-pass-log.js";
import { MysqlWarehouseRebuild } from "../../lib/adapters/mysql/warehouse-rebuild.js";
import { type Config, loadConfig } from "../../lib/config/index.js";
import { NO_MEASURES } from "../../lib/core/aggregation.js";
import { hourBucketer } from "../../lib/core/time-bucket.js";
import { eventId, type TrackingRow } from "../../lib/core/tracking-row.js";
import { WarehouseError } from "../../lib/errors.js";
import { MYSQL_TABLES } from "../../lib/schema-names.js";
import type { WarehouseRow } from "../../lib/use-cases/apply-batch-ports.js";
import { rebuildHours } from "../../lib/use-cases/reconcile/rebuild-hours.js";
import {
  type LakePartitions,
  NO_PASS_COUNTS,
  type PartitionKey,
  partitionKeyString,
} from "../../lib/use-cases/reconcile/reconcile-ports.js";
import { mskRecord, trackingRow } from "../support/aggregator-fixtures.js";
import { applyBatchOn, applyMskRecords } from "../support/apply-batch-on-fakes.js";
import { adminConnection } from "./support/admin-connection.js";
import { uniqueName } from "./support/config.js";

/**
 * The reconciler's warehouse side on the real MariaDB, in a database of its own (migrated from
 * scratch, dropped at the end): accounted event ids, the pass log (writer account, as the Lambdas),
 * and the rebuild of warehouse hours (admin account, as the operator's CLI).
 */

const config: Config = loadConfig({ ...process.env, MYSQL_DATABASE: uniqueName("jtp_reconcile") });
const { events, processedEvents, deadLetters } = MYSQL_TABLES;
const denied = { code: expect.stringMatching(/ACCESS_DENIED|DENIED_ERROR/) };
let admin: Connection;
let adminPool: Pool;
let writer: Pool;
let reader: Pool;

beforeAll(async () => {
  await migrateMysql(config, () => undefined);
  admin = await adminConnection(config);
  adminPool = createMysqlPool(config, config.mysql.admin, { connectionLimit: 4 });
  writer = createMysqlPool(config, config.mysql.writer, { connectionLimit: 4 });
  reader = createMysqlPool(config, config.mysql.reader, { connectionLimit: 2 });
});

afterAll(async () => {
  await writer?.end();
  await reader?.end();
  await adminPool?.end();
  if (!admin) return;
  const db = config.mysql.database;
  await admin.query(`DROP DATABASE IF EXISTS \`${db}\``);
  for (const account of [config.mysql.reader, config.mysql.writer]) {
    for (const on of [`\`${db}\`.*`, `\`${db}\`.processed_events`]) {
      await admin
        .query(`REVOKE ALL PRIVILEGES ON ${on} FROM ?@?`, [account.user, config.mysql.accountHost])
        .catch(() => undefined);
    }
  }
  await admin.end();
});

const B1 = Date.UTC(2026, 10, 30, 10, 0); // bucket starts (60 s buckets)
const B2 = B1 + 60_000;
const B3 = B1 + 120_000;
const ct = (n: number) => `00000000-0000-1000-8000-${String(n).padStart(12, "0")}`;
const id = (bucket: number, shard: number, n: number) => `${bucket}/${shard}/${ct(n)}`;

describe("accounted event ids (processed_events ∪ dead_letters.event_id), writer account", () => {
  beforeAll(async () => {
    await admin.query(`INSERT INTO ${processedEvents} (event_id) VALUES ?`, [
      [
        id(B1, 0, 1),
        id(B1, 0, 2),
        id(B1, 0, 3),
        id(B1, 1, 1),
        id(B1, 10, 1), // shard 10: its ids share the text "…/1" with shard 1's prefix
        id(B1, 10, 2),
        id(B2, 3, 1),
        id(B3, 0, 1), // bucket B3 = the end of the range: excluded
        id(B1 - 60_000, 0, 1), // before the range
        "not-an-event-id",
      ].map((i) => [i]),
    ]);
    await admin.query(
      `INSERT INTO ${deadLetters} (topic, partition_id, record_offset, reason_code, reason, event_id) VALUES ?`,
      [
        [
          ["t", 0, 1, "invalid_row", "r", id(B1, 0, 3)], // also applied: counted once
          ["t", 0, 2, "invalid_row", "r", id(B1, 0, 4)], // only dead-lettered
          ["t", 0, 3, "invalid_row", "r", id(B1, 0, 4)], // dead-lettered twice: counted once
          ["t", 0, 4, "invalid_json", "r", null], // unreadable: no event id
          ["t", 0, 5, "invalid_row", "r", id(B2, 2, 9)], // a partition with dead letters only
          ["t", 0, 6, "invalid_row", "r", id(B3, 2, 9)], // outside the range
        ],
      ],
    );
  });

  it("counts distinct accounted ids per partition of a bucket range, with any chunking", async () => {
    const expected = new Map([
      [`${B1}/0`, 4],
      [`${B1}/1`, 1],
      [`${B1}/10`, 2],
      [`${B2}/2`, 1],
      [`${B2}/3`, 1],
    ]);
    for (const options of [{}, { chunkMs: 0 }, { chunkMs: 60_000, parallelChunks: 3 }, { chunkMs: 7_000 }]) {
      const accounted = new MysqlAccountedEvents(writer, options);
      expect(await accounted.countByPartition(B1, B3), JSON.stringify(options)).toEqual(expected);
    }
    const accounted = new MysqlAccountedEvents(writer);
    expect(await accounted.countByPartition(B2, B2)).toEqual(new Map());
    expect(await accounted.countByPartition(B3, B3 + 60_000)).toEqual(
      new Map([
        [`${B3}/0`, 1],
        [`${B3}/2`, 1],
      ]),
    );
    await expect(accounted.countByPartition(1_000, B3)).rejects.toThrow(RangeError);
  });

  it("lists the create_times accounted in one partition, and none of a neighbouring shard", async () => {
    const accounted = new MysqlAccountedEvents(writer);
    expect(await accounted.createTimesOf({ bucket: B1, shard: 0 })).toEqual(
      new Set([ct(1), ct(2), ct(3), ct(4)]),
    );
    expect(await accounted.createTimesOf({ bucket: B1, shard: 1 })).toEqual(new Set([ct(1)]));
    expect(await accounted.createTimesOf({ bucket: B2, shard: 2 })).toEqual(new Set([ct(9)]));
    expect(await accounted.createTimesOf({ bucket: B2, shard: 0 })).toEqual(new Set());
  });

  it("lists the create_times of one partition that were dead-lettered and never applied", async () => {
    const accounted = new MysqlAccountedEvents(writer);
    expect(await accounted.deadLetteredOf({ bucket: B1, shard: 0 })).toEqual(new Set([ct(4)]));
    expect(await accounted.deadLetteredOf({ bucket: B2, shard: 2 })).toEqual(new Set([ct(9)]));
    expect(await accounted.deadLetteredOf({ bucket: B1, shard: 1 })).toEqual(new Set());
  });

  it("uses the ids' index ranges, not a scan", async () => {
    const [plan] = await admin.query(
      `EXPLAIN SELECT event_id FROM ${processedEvents} WHERE event_id >= ? AND event_id < ?`,
      [`${B1}/`, `${B3}/`],
    );
    expect((plan as Array<{ type: string; key: string }>)[0]).toMatchObject({
      type: "range",
      key: "PRIMARY",
    });
    const [dl] = await admin.query(
      `EXPLAIN SELECT event_id FROM ${deadLetters} WHERE event_id >= ? AND event_id < ?`,
      [`${B1}/`, `${B3}/`],
    );
    expect((dl as Array<{ key: string }>)[0]?.key).toBe("ix_dead_letters_event");
  });
});

describe("reconcile pass log (writer account; Grafana reads it)", () => {
  const T = Date.UTC(2026, 10, 30, 12, 0, 0, 123);

  it("records a pass from start to finish, exactly, and reads the newest back", async () => {
    const log = new MysqlReconcilePassLog(writer);
    const passId = await log.start({ mode: "cli", fromMs: B1, toMs: B3, dryRun: true, startedAtMs: T });
    expect(await readLastReconcilePass(writer)).toMatchObject({
      id: passId,
      mode: "cli",
      dryRun: true,
      status: "running",
      startedAtMs: T,
      finishedAtMs: null,
      missingFound: 0,
    });
    const counts = {
      partitionsChecked: 5_760,
      rowsCompared: 1_000_000,
      missingFound: 12,
      republished: 10,
      deadLettered: 1,
      driftLeft: 2,
    };
    await log.finish(passId, {
      status: "partial",
      ...counts,
      coveredUntilMs: null,
      finishedAtMs: T + 4_321,
      error: `lake read timed out ${"x".repeat(3_000)}`,
    });
    const last = await readLastReconcilePass(reader);
    expect(last).toMatchObject({
      id: passId,
      mode: "cli",
      fromMs: B1,
      toMs: B3,
      status: "partial",
      startedAtMs: T,
      finishedAtMs: T + 4_321,
      ...counts,
      coveredUntilMs: null,
    });
    expect(last?.error).toHaveLength(2_048);
    expect(last?.error?.startsWith("lake read timed out")).toBe(true);
  });

  it("lastCoveredUntil: the newest scheduled, non-dry-run pass that recorded one", async () => {
    const log = new MysqlReconcilePassLog(writer);
    const counts = {
      partitionsChecked: 1,
      rowsCompared: 1,
      missingFound: 0,
      republished: 0,
      deadLettered: 0,
      driftLeft: 0,
    };
    const pass = async (mode: "scheduled" | "cli", dryRun: boolean, coveredUntilMs: number | null) => {
      const passId = await log.start({ mode, fromMs: B1, toMs: B2, dryRun, startedAtMs: T });
      await log.finish(passId, { ...counts, status: "done", coveredUntilMs, finishedAtMs: T + 1 });
      return passId;
    };
    expect(await log.lastCoveredUntil()).toBeUndefined();
    await pass("scheduled", false, B2);
    await pass("scheduled", false, B3);
    await pass("scheduled", false, null); // recorded none
    await pass("scheduled", true, B3 + 60_000); // dry run: checked nothing for real
    await pass("cli", false, B3 + 120_000);
    expect(await log.lastCoveredUntil()).toBe(B3);
    const newest = await pass("scheduled", false, B3 + 60_000);
    expect(await log.lastCoveredUntil()).toBe(B3 + 60_000);
    expect((await readLastReconcilePass(writer, "scheduled"))?.id).toBe(newest);
  });

  it("marks a pass of the same mode left running long ago (its process was killed) as failed when the next one starts", async () => {
    const log = new MysqlReconcilePassLog(writer);
    const now = Date.now();
    const stale = await log.start({
      mode: "scheduled",
      fromMs: 1,
      toMs: 2,
      dryRun: false,
      startedAtMs: now - 3_600_000,
    });
    const recent = await log.start({
      mode: "scheduled",
      fromMs: 1,
      toMs: 2,
      dryRun: false,
      startedAtMs: now - 60_000,
    });
    const cli = await log.start({
      mode: "cli",
      fromMs: 1,
      toMs: 2,
      dryRun: false,
      startedAtMs: now - 3_600_000,
    });
    await log.start({ mode: "scheduled", fromMs: 1, toMs: 2, dryRun: false, startedAtMs: now });
    const [rows] = await writer.query(
      `SELECT id, status, error FROM ${RECONCILE_PASSES_TABLE} WHERE id IN (?)`,
      [[stale, recent, cli]],
    );
    const byId = new Map(
      (rows as Array<{ id: number; status: string; error: string | null }>).map((r) => [Number(r.id), r]),
    );
    expect(byId.get(stale)).toMatchObject({ status: "failed", error: expect.stringMatching(/abandoned/) });
    expect(byId.get(recent)?.status).toBe("running");
    expect(byId.get(cli)?.status).toBe("running");
  });

  it("refuses to finish a pass it does not have", async () => {
    const log = new MysqlReconcilePassLog(writer);
    await expect(
      log.finish(987_654_321, {
        status: "failed",
        ...NO_PASS_COUNTS,
        coveredUntilMs: null,
        finishedAtMs: T,
      }),
    ).rejects.toBeInstanceOf(WarehouseError);
  });

  it("the writer may insert and update passes but not delete them; Grafana may only read them", async () => {
    await expect(writer.query(`DELETE FROM ${RECONCILE_PASSES_TABLE}`)).rejects.toMatchObject(denied);
    await expect(reader.query(`SELECT COUNT(*) FROM ${RECONCILE_PASSES_TABLE}`)).resolves.toBeDefined();
    await expect(
      reader.query(`INSERT INTO ${RECONCILE_PASSES_TABLE} (mode, from_ms, to_ms) VALUES ('cli', 1, 2)`),
    ).rejects.toMatchObject(denied);
    await expect(reader.query(`UPDATE ${RECONCILE_PASSES_TABLE} SET drift_left = 0`)).rejects.toMatchObject(
      denied,
    );
    await expect(
      writer.query(`INSERT INTO ${RECONCILE_PASSES_TABLE} (mode, from_ms, to_ms) VALUES ('bogus', 1, 2)`),
    ).rejects.toThrow(/ck_reconcile_passes_mode/);
  });
});

// ---- rebuild ------------------------------------------------------------------------------------

/** Lake partitions in memory (the lake side is not under test here). */
class MemoryLake implements LakePartitions {
  private readonly byPartition = new Map<string, TrackingRow[]>();
  constructor(rows: readonly TrackingRow[]) {
    for (const r of rows) {
      const k = partitionKeyString(r);
      this.byPartition.set(k, [...(this.byPartition.get(k) ?? []), r]);
    }
  }
  private of(p: PartitionKey): TrackingRow[] {
    return this.byPartition.get(partitionKeyString(p)) ?? [];
  }
  async countRows(p: PartitionKey) {
    return this.of(p).length;
  }
  async createTimes(p: PartitionKey) {
    return this.of(p).map((r) => r.create_time);
  }
  async rowsByIds(p: PartitionKey, createTimes: readonly string[]) {
    return this.of(p).filter((r) => createTimes.includes(r.create_time));
  }
  async *pages(p: PartitionKey, pageSize: number) {
    const rows = this.of(p);
    for (let i = 0; i < rows.length; i += pageSize) yield rows.slice(i, i + pageSize);
  }
}

const JOB = 3_000; // jobs 3000 … 3009; 3009 is not in the job dimension
const DAY = "2026-11-29";
const H10 = Date.UTC(2026, 10, 29, 10);
const HOUR = 3_600_000;

/** Fact rows of the test's jobs, without id/created_at/updated_at, in grain order. */
async function facts(): Promise<Array<Record<string, unknown>>> {
  const [rows] = await adminPool.query(
    `SELECT job_id, DATE_FORMAT(dates, '%Y-%m-%d') AS dates, hours, publisher_id, campaign_id, group_id, company_id,
            clicks, spend_hour, bid_count, bid_set, conversion, qualified_application, disqualified_application,
            other_tracks, sources
       FROM ${events} WHERE job_id BETWEEN ? AND ? ORDER BY job_id, dates, hours, publisher_id, campaign_id, group_id`,
    [JOB, JOB + 9],
  );
  return rows as Array<Record<string, unknown>>;
}

/** Lake rows with event times over 10:00-13:00 UTC, visible 0-9 min after their event time. */
function lakeRows(n: number): TrackingRow[] {
  const tracks = ["click", "click", "click", "conversion", "qualified", "unqualified", "view"];
  return Array.from({ length: n }, (_, i) => {
    const ts = H10 + ((i * 7_919_003) % (3 * HOUR));
    const ingest = ts + (i % 10) * 60_000;
    return trackingRow({
      bucket: ingest - (ingest % 60_000),
      shard: i % 2,
      ts,
      job_id: JOB + (i % 10),
      custom_track: tracks[i % tracks.length] ?? null,
      bid: i % 9 === 0 ? null : Math.fround(0.1 + (i % 17) * 0.23),
      publisher_id: i % 5 === 0 ? null : 1 + (i % 3),
      campaign_id: 7,
      group_id: i % 4,
    });
  });
}

async function applyThroughAggregator(rows: readonly TrackingRow[], firstOffset: number): Promise<void> {
  const apply = applyBatchOn(new MysqlWarehouse(writer, { upsertChunkRows: 500 }), {
    jobs: new MysqlJobCompanyLookup(writer),
    options: { retry: { maxAttempts: 5, baseMs: 10, capMs: 100 } },
  });
  const records = rows.map((row, i) =>
    mskRecord({ topic: "rebuild-test", partition: 0, offset: firstOffset + i, value: row }),
  );
  await applyMskRecords(apply, records);
}

describe("rebuild of warehouse hours from the lake (admin account)", () => {
  const rows = lakeRows(600);
  const lake = new MemoryLake(rows);
  const rebuildDeps = () => ({
    lake,
    rebuild: new MysqlWarehouseRebuild(adminPool, { upsertChunkRows: 50 }),
    jobs: new MysqlJobCompanyLookup(adminPool),
    bucketer: hourBucketer("UTC"),
    options: { maxLatenessMs: 15 * 60_000, bucketMs: 60_000, pageSize: 100 },
  });
  let applied: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    await admin.query("INSERT INTO job (job_id, company_id) VALUES ?", [
      Array.from({ length: 9 }, (_, i) => [JOB + i, 500 + i]),
    ]);
    await applyThroughAggregator(rows, 0);
    applied = await facts();
  });

  it("after the hours' fact rows are lost, restores exactly what the aggregator had applied", async () => {
    expect(applied.length).toBeGreaterThan(50);
    expect(new Set(applied.map((r) => r.hours))).toEqual(new Set([10, 11, 12]));
    await admin.query(
      `DELETE FROM ${events} WHERE job_id BETWEEN ? AND ? AND dates = ? AND hours IN (10, 11)`,
      [JOB, JOB + 9, DAY],
    );
    const result = await rebuildHours({ fromMs: H10, toMs: H10 + 2 * HOUR, shards: [0, 1] }, rebuildDeps());
    const inRange = rows.filter((r) => (r.ts ?? 0) < H10 + 2 * HOUR).length;
    expect(result).toMatchObject({ rowsInRange: inRange, skippedInvalid: 0, hours: 2, deletedRows: 0 });
    expect(result.rowsOutOfRange).toBeGreaterThan(0); // hour 12's rows visible before 12:15
    expect(await facts()).toEqual(applied);
  });

  it("run again over complete hours: deletes and re-inserts the same rows, changes nothing", async () => {
    const result = await rebuildHours({ fromMs: H10, toMs: H10 + 3 * HOUR, shards: [0, 1] }, rebuildDeps());
    expect(result.deletedRows).toBe(applied.length);
    expect(result.insertedRows).toBe(applied.length);
    expect(await facts()).toEqual(applied);
  });

  it("replaces a wrong hour and leaves other hours alone; the rebuilt events are then applied, so a redelivery is a no-op", async () => {
    await admin.query(`UPDATE ${events} SET clicks = clicks + 1000 WHERE job_id = ? AND dates = ?`, [
      JOB,
      DAY,
    ]);
    await admin.query(
      `INSERT INTO ${events} (job_id, dates, hours, publisher_id, campaign_id, group_id, clicks) VALUES (?, ?, 11, 99, 99, 99, 5)`,
      [JOB + 1, DAY],
    );
    await admin.query(`DELETE FROM ${processedEvents} WHERE event_id IN (?)`, [rows.map(eventId)]);
    await rebuildHours({ fromMs: H10 + HOUR, toMs: H10 + 2 * HOUR, shards: [0, 1] }, rebuildDeps());
    const after = await facts();
    const key = (r: Record<string, unknown>) => `${r.job_id}|${r.hours}|${r.publisher_id}|${r.group_id}`;
    const byKey = new Map(after.map((r) => [key(r), r]));
    for (const r of applied) {
      const now = byKey.get(key(r));
      if (r.hours === 11 || r.job_id !== JOB) expect(now).toEqual(r);
      else expect(Number(now?.clicks)).toBe(Number(r.clicks) + 1000); // hours 10 and 12 untouched
    }
    expect(after.some((r) => r.publisher_id === 99)).toBe(false);
    // the hour's events are applied: the aggregator skips them when they come again
    const hour11 = rows.filter((r) => (r.ts ?? 0) >= H10 + HOUR && (r.ts ?? 0) < H10 + 2 * HOUR);
    const [known] = await admin.query(`SELECT COUNT(*) AS n FROM ${processedEvents} WHERE event_id IN (?)`, [
      hour11.map(eventId),
    ]);
    expect(Number((known as Array<{ n: number }>)[0]?.n)).toBe(hour11.length);
    const before11 = (await facts()).filter((r) => r.hours === 11);
    await applyThroughAggregator(hour11, 10_000);
    expect((await facts()).filter((r) => r.hours === 11)).toEqual(before11);
  });

  it("an aggregator batch holding one of the rebuilt events: the rebuild waits for it and the event counts once", async () => {
    const hour12 = rows.filter((r) => (r.ts ?? 0) >= H10 + 2 * HOUR);
    await rebuildHours({ fromMs: H10 + 2 * HOUR, toMs: H10 + 3 * HOUR, shards: [0, 1] }, rebuildDeps());
    const expected = (await facts()).filter((r) => r.hours === 12);
    const target = hour12[0] as TrackingRow;
    const targetId = eventId(target);
    await admin.query(`DELETE FROM ${processedEvents} WHERE event_id = ?`, [targetId]);

    // An aggregator transaction claims the event and adds a click to its grain, then waits.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let claimed: () => void = () => undefined;
    const claimedP = new Promise<void>((r) => {
      claimed = r;
    });
    const warehouse = new MysqlWarehouse(writer, { upsertChunkRows: 500 });
    const aggregator = warehouse.transaction(async (tx) => {
      const already = await tx.claimEventIds([targetId]);
      expect(already.size).toBe(0);
      const row: WarehouseRow = {
        jobId: target.job_id as number,
        dates: DAY,
        hours: 12,
        publisherId: target.publisher_id ?? 0,
        campaignId: target.campaign_id ?? 0,
        groupId: target.group_id ?? 0,
        companyId: null,
        ...NO_MEASURES,
        clicks: 1,
      };
      await tx.upsertAggregates([row]);
      claimed();
      await gate;
    });
    await claimedP;
    const rebuild = new MysqlWarehouseRebuild(adminPool, { upsertChunkRows: 50 });
    const rebuilding = rebuildHours(
      { fromMs: H10 + 2 * HOUR, toMs: H10 + 3 * HOUR, shards: [0, 1] },
      { ...rebuildDeps(), rebuild },
    );
    await new Promise((r) => setTimeout(r, 500));
    release();
    await aggregator;
    await rebuilding;
    expect((await facts()).filter((r) => r.hours === 12)).toEqual(expected);
    // and after the rebuild, the aggregator finds the event applied
    await warehouse.transaction(async (tx) => {
      expect(await tx.claimEventIds([targetId])).toEqual(new Set([targetId]));
    });
  });

  it("rolls back everything when a statement fails, and the writer account may not rebuild", async () => {
    const before = await facts();
    const rebuild = new MysqlWarehouseRebuild(writer, { upsertChunkRows: 50 });
    const freshId = `${B1}/0/${ct(777)}`;
    await expect(rebuild.replaceHours([{ dates: DAY, hours: 10 }], [], [freshId])).rejects.toBeInstanceOf(
      WarehouseError,
    );
    const [known] = await admin.query(`SELECT COUNT(*) AS n FROM ${processedEvents} WHERE event_id = ?`, [
      freshId,
    ]);
    expect(Number((known as Array<{ n: number }>)[0]?.n)).toBe(0);
    expect(await facts()).toEqual(before);
    const stray: WarehouseRow = {
      jobId: JOB,
      dates: DAY,
      hours: 11,
      publisherId: 0,
      campaignId: 0,
      groupId: 0,
      companyId: null,
      ...NO_MEASURES,
      clicks: 1,
    };
    await expect(
      new MysqlWarehouseRebuild(adminPool, { upsertChunkRows: 50 }).replaceHours(
        [{ dates: DAY, hours: 10 }],
        [stray],
        [],
      ),
    ).rejects.toThrow(/not in the hours being replaced/);
    expect(await facts()).toEqual(before);
  });
});
