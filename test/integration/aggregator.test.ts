import type { MSKRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { pickTrack } from "../../infra/tooling/generator/tracking-event-factory.js";
import { backfillCompanyIds } from "../../infra/tooling/mysql/company-backfill.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import { MysqlWarehouse } from "../../lib/adapters/mysql/mysql-warehouse.js";
import { eventId, type TrackingRow } from "../../lib/core/tracking-row.js";
import { MYSQL_TABLES } from "../../lib/schema-names.js";
import {
  mskEvent,
  mskRecord,
  type ReferenceRow,
  recordsOf,
  referenceTotals,
  trackingRow,
} from "../support/aggregator-fixtures.js";
import {
  aggregatorHandler,
  factTotals,
  jobBlock,
  ledgerOffset,
  writerPoolForFile,
} from "./support/aggregator-helpers.js";
import { testConfig, uniqueName } from "./support/config.js";

const config = testConfig();
const pool = writerPoolForFile(config, 6);

/** Random rows for jobs [base, base + jobs), event times spread over `hours` hours from `startMs`. */
function randomRows(n: number, base: number, jobs: number, startMs: number, hours = 6): TrackingRow[] {
  return Array.from({ length: n }, (_, i) =>
    trackingRow({
      job_id: base + Math.floor(Math.random() * jobs),
      custom_track: i % 97 === 0 ? "impression" : pickTrack(Math.random),
      bid: i % 13 === 0 ? null : Math.fround(0.1 + Math.random() * 4.9),
      publisher_id: 1 + Math.floor(Math.random() * 3),
      campaign_id: i % 11 === 0 ? null : 1 + Math.floor(Math.random() * 2),
      group_id: i % 7 === 0 ? null : 1 + Math.floor(Math.random() * 2),
      ts: startMs + Math.floor(Math.random() * hours * 3_600_000),
    }),
  );
}

function sum(totals: Map<string, ReferenceRow>): ReferenceRow {
  const s = {
    clicks: 0,
    spendMicros: 0,
    bidCount: 0,
    conversion: 0,
    qualified: 0,
    disqualified: 0,
    otherTracks: 0,
  };
  for (const t of totals.values()) for (const k of Object.keys(s) as Array<keyof ReferenceRow>) s[k] += t[k];
  return s;
}

describe("aggregator handler against MariaDB", () => {
  it("upserts totals equal to a reference computed from the raw records (reporting zone UTC+7, chunked)", async () => {
    const base = jobBlock();
    const topic = uniqueName("agg_totals");
    // 22:00 local on Jan 1 in Ho Chi Minh City: the six hours cross a local day boundary.
    const rows = randomRows(6_000, base, 300, Date.UTC(2025, 0, 1, 15));
    const handler = aggregatorHandler(config, pool, { upsertChunkRows: 200 }, "Asia/Ho_Chi_Minh");
    const records = [
      ...recordsOf(topic, 0, 0, rows.slice(0, 2_500)),
      ...recordsOf(topic, 1, 1_000, rows.slice(2_500, 4_000)),
      ...recordsOf(topic, 2, 7, rows.slice(4_000)),
    ];
    const summary = await handler(mskEvent(records));
    expect(summary).toMatchObject({ recordsIn: 6_000, applied: 6_000, deadLettered: 0, skippedReplays: 0 });
    const expected = referenceTotals(rows, 7);
    expect(summary.rowsUpserted).toBe(expected.size);
    expect(await factTotals(pool, base)).toEqual(expected);
    expect(await ledgerOffset(pool, topic, 0)).toBe(2_499);
    expect(await ledgerOffset(pool, topic, 1)).toBe(2_499);
    expect(await ledgerOffset(pool, topic, 2)).toBe(2_006);
  });

  it("derives bid_set exactly from the micro-unit spend and the bid count", async () => {
    const base = jobBlock();
    const topic = uniqueName("agg_bidset");
    const ts = Date.UTC(2025, 1, 1, 9, 15);
    const bids = [0.1, 0.2, 0.3, 1.15].map(Math.fround);
    const rows = [
      ...bids.map((bid) => trackingRow({ job_id: base, bid, ts })),
      trackingRow({ job_id: base, bid: null, ts }),
    ];
    await aggregatorHandler(config, pool)(mskEvent(recordsOf(topic, 0, 0, rows)));
    const [r] = await pool.query(
      `SELECT clicks, spend_hour, bid_count, bid_set FROM ${MYSQL_TABLES.events} WHERE job_id = ?`,
      [base],
    );
    const got = (r as Array<Record<string, string | number>>).map((x) => ({
      ...x,
      clicks: Number(x.clicks),
      bid_count: Number(x.bid_count),
    }));
    expect(got).toEqual([{ clicks: 5, spend_hour: "1.750000", bid_count: 4, bid_set: "0.437500" }]);
  });

  it("enriches company_id from the job dimension; unknown jobs stay NULL until back-filled", async () => {
    const base = jobBlock();
    const topic = uniqueName("agg_company");
    await pool.query(`INSERT INTO ${MYSQL_TABLES.job} (job_id, company_id) VALUES (?, ?)`, [base, 77]);
    const ts = Date.UTC(2025, 2, 1, 1);
    const rows = [trackingRow({ job_id: base, ts }), trackingRow({ job_id: base + 1, ts })];
    await aggregatorHandler(config, pool)(mskEvent(recordsOf(topic, 0, 0, rows)));
    const companies = async () => {
      const [r] = await pool.query(
        `SELECT job_id, company_id FROM ${MYSQL_TABLES.events} WHERE job_id IN (?, ?) ORDER BY job_id`,
        [base, base + 1],
      );
      return (r as Array<{ job_id: number; company_id: number | null }>).map((x) => x.company_id);
    };
    expect(await companies()).toEqual([77, null]);
    await pool.query(`INSERT INTO ${MYSQL_TABLES.job} (job_id, company_id) VALUES (?, ?)`, [base + 1, 88]);
    expect(await backfillCompanyIds(pool)).toBeGreaterThanOrEqual(1);
    expect(await companies()).toEqual([77, 88]);
  });

  it("the same batch delivered twice, and two overlapping batches, leave the totals unchanged", async () => {
    const base = jobBlock();
    const topic = uniqueName("agg_replay");
    const rows = randomRows(1_200, base, 40, Date.UTC(2025, 3, 1));
    const expected = referenceTotals(rows);
    for (const guard of [true, false]) {
      // the ledger alone must hold replays, with or without the event-id guard
      const t = `${topic}_${guard}`;
      const b = guard ? base : base + 500;
      const shifted = rows.map(
        (r): TrackingRow => ({
          ...r,
          job_id: (r.job_id ?? 0) + (b - base),
          create_time: `${r.create_time}-${guard}`,
        }),
      );
      const handler = aggregatorHandler(config, pool, { dedupByEventId: guard });
      const all = recordsOf(t, 0, 0, shifted);
      expect((await handler(mskEvent(all.slice(0, 700)))).applied).toBe(700);
      const again = await handler(mskEvent(all.slice(0, 700)));
      expect(again).toMatchObject({ applied: 0, skippedReplays: 700, skippedDuplicates: 0 });
      const overlap = await handler(mskEvent(all.slice(400)));
      expect(overlap).toMatchObject({ applied: 500, skippedReplays: 300 });
      await handler(mskEvent(all));
      const got = await factTotals(pool, b, 500);
      const exp = referenceTotals(shifted);
      expect(got).toEqual(exp);
      expect(sum(got)).toEqual(sum(expected));
    }
  });

  it("events re-sent at new offsets (an aborted transaction seen, then re-sent) count once with the guard on, twice with it off", async () => {
    const rows = randomRows(300, 0, 1, Date.UTC(2025, 4, 1));
    for (const guard of [true, false]) {
      const base = jobBlock();
      const topic = uniqueName(`agg_resend_${guard}`);
      const mine = rows.map((r, i): TrackingRow => ({ ...r, job_id: base + (i % 20) }));
      const handler = aggregatorHandler(config, pool, { dedupByEventId: guard });
      await handler(mskEvent(recordsOf(topic, 0, 0, mine)));
      // the same events (same event ids) again, at new offsets, partly in the same batch as new ones
      const fresh = randomRows(50, base, 20, Date.UTC(2025, 4, 1));
      const second = await handler(mskEvent(recordsOf(topic, 0, 300, [...mine, ...fresh])));
      expect(second.skippedDuplicates).toBe(guard ? 300 : 0);
      expect(second.applied).toBe(guard ? 50 : 350);
      const expected = referenceTotals(guard ? [...mine, ...fresh] : [...mine, ...mine, ...fresh]);
      expect(await factTotals(pool, base)).toEqual(expected);
    }
  });

  it("a batch split into key groups (claims and upserts queued while validating) applies every event once", async () => {
    const base = jobBlock();
    const topic = uniqueName("agg_groups");
    const rows = randomRows(3_000, base, 200, Date.UTC(2025, 4, 2));
    // small groups: many statements queued on the connection during validation; a pool of 2 as
    // deployed (the transaction holds one connection while the job lookups of each group use the other)
    await pool.query(`INSERT INTO ${MYSQL_TABLES.job} (job_id, company_id) VALUES ?`, [
      Array.from({ length: 50 }, (_, i) => [base + i, 900 + i]),
    ]);
    const small = createMysqlPool(config, config.mysql.writer, { connectionLimit: 2 });
    const handler = aggregatorHandler(config, small, { keyGroupRecords: 400, upsertChunkRows: 97 });
    const resent = rows.slice(0, 500); // events of an aborted transaction, re-sent at new offsets
    const poison = mskRecord({ topic, partition: 1, offset: 700, value: "{cut short" });
    const first = await handler(
      mskEvent([
        ...recordsOf(topic, 0, 0, rows.slice(0, 2_000)),
        ...recordsOf(topic, 1, 0, rows.slice(2_000, 2_700)),
        poison,
      ]),
    );
    expect(first).toMatchObject({ applied: 2_700, deadLettered: 1, skippedDuplicates: 0 });
    const second = await handler(
      mskEvent([
        ...recordsOf(topic, 0, 2_000, [...resent, ...rows.slice(2_700)]),
        ...recordsOf(topic, 1, 0, rows.slice(2_000, 2_700)),
      ]),
    );
    expect(second).toMatchObject({
      applied: 300,
      skippedDuplicates: 500,
      skippedReplays: 700,
      deadLettered: 0,
    });
    expect(await factTotals(pool, base)).toEqual(referenceTotals(rows));
    expect(await ledgerOffset(pool, topic, 0)).toBe(2_799);
    expect(await ledgerOffset(pool, topic, 1)).toBe(700);
    const [companies] = await pool.query(
      `SELECT COUNT(*) AS n FROM ${MYSQL_TABLES.events} WHERE job_id >= ? AND job_id < ? AND company_id = job_id - ? + 900`,
      [base, base + 50, base],
    );
    expect(Number((companies as Array<{ n: number }>)[0]?.n)).toBeGreaterThan(0);
    await small.end();
  });

  it("poison records go to dead_letters with reason and source offset; the good ones are applied", async () => {
    const base = jobBlock();
    const topic = uniqueName("agg_poison");
    const good = randomRows(20, base, 5, Date.UTC(2025, 5, 1));
    const valid = JSON.parse(
      Buffer.from(
        mskRecord({ topic, partition: 0, offset: 0, value: good[0] as TrackingRow }).value,
        "base64",
      ).toString(),
    ) as { payload: { after: Record<string, unknown> } };
    const variant = (after: Record<string, unknown>) =>
      JSON.stringify({
        ...valid,
        payload: { ...valid.payload, after: { ...valid.payload.after, ...after } },
      });
    const poison: Array<[string | Uint8Array, string]> = [
      [variant({}).slice(0, 60), "invalid_json"],
      [variant({ job_id: "12x" }), "invalid_row"],
      [variant({ bid: "cheap" }), "invalid_row"],
      [variant({ job_id: null }), "missing_job_id"],
      [variant({ ts: "yesterday" }), "invalid_ts"],
      [new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), "invalid_utf8"],
      [variant({ ua: "x".repeat(200_000) }), "invalid_row"],
      [variant({ ua: "x".repeat(2_000_000) }), "record_too_large"],
      [variant({ ts: 0 }), "implausible_event_time"],
      [variant({ ts: Date.UTC(2100, 0, 1) }), "implausible_event_time"],
    ];
    // the event id is kept whenever it can be read (here: payload.source.event_id of good[0])
    const unreadable = new Set(["invalid_json", "invalid_utf8", "record_too_large"]);
    const expectedIds = poison.map(([, code]) =>
      unreadable.has(code) ? null : eventId(good[0] as TrackingRow),
    );
    const records: MSKRecord[] = [
      ...recordsOf(topic, 0, 0, good.slice(0, 10)),
      ...poison.map(([value], i) => mskRecord({ topic, partition: 0, offset: 10 + i, value, key: `k${i}` })),
      ...recordsOf(topic, 0, 10 + poison.length, good.slice(10)),
    ];
    const handler = aggregatorHandler(config, pool);
    const s = await handler(mskEvent(records));
    expect(s).toMatchObject({
      applied: 20,
      deadLettered: poison.length,
      implausible: 2,
      deadLetteredByReason: {
        invalid_json: 1,
        invalid_row: 3,
        missing_job_id: 1,
        invalid_ts: 1,
        invalid_utf8: 1,
        record_too_large: 1,
        implausible_event_time: 2,
      },
    });
    expect(await factTotals(pool, base)).toEqual(referenceTotals(good));

    const [rows] = await pool.query(
      `SELECT record_offset, event_id, reason_code, reason, record_key, payload FROM ${MYSQL_TABLES.deadLetters} WHERE topic = ? ORDER BY record_offset`,
      [topic],
    );
    const letters = rows as Array<{
      record_offset: string;
      event_id: string | null;
      reason_code: string;
      reason: string;
      record_key: Buffer;
      payload: Buffer;
    }>;
    expect(letters.map((l) => [Number(l.record_offset), l.reason_code, l.event_id])).toEqual(
      poison.map(([, code], i) => [10 + i, code, expectedIds[i]]),
    );
    for (const [i, l] of letters.entries()) {
      expect(l.reason.length).toBeGreaterThan(0);
      expect(l.record_key.toString()).toBe(`k${i}`);
      const raw = Buffer.from(poison[i]?.[0] ?? "");
      const kept =
        l.reason_code === "record_too_large" ? raw.subarray(0, config.aggregator.maxRecordBytes) : raw;
      expect(Buffer.compare(l.payload, kept)).toBe(0);
    }

    // redelivered: no second dead letter, no double count
    expect(await handler(mskEvent(records))).toMatchObject({ applied: 0, deadLettered: 0 });
    const [n] = await pool.query(`SELECT COUNT(*) AS n FROM ${MYSQL_TABLES.deadLetters} WHERE topic = ?`, [
      topic,
    ]);
    expect(Number((n as Array<{ n: number }>)[0]?.n)).toBe(poison.length);
    expect(await factTotals(pool, base)).toEqual(referenceTotals(good));
  });

  it("the configured event-time bounds reach the Lambda's wiring (AGG_MAX_EVENT_TIME_AHEAD_MS, AGG_EARLIEST_EVENT_TIME)", async () => {
    const base = jobBlock();
    const topic = uniqueName("agg_bounds");
    const now = Date.now();
    const [ahead, early, fine] = randomRows(3, base, 1, now);
    const rows = [
      { ...(ahead as TrackingRow), ts: now + 60_000 }, // 1 min ahead: beyond a 30 s bound
      { ...(early as TrackingRow), ts: Date.UTC(2019, 11, 31) }, // before a 2020 earliest time
      { ...(fine as TrackingRow), ts: now - 1_000 },
    ];
    const handler = aggregatorHandler(config, pool, {
      maxEventTimeAheadMs: 30_000,
      earliestEventMs: Date.UTC(2020, 0, 1),
    });
    const s = await handler(mskEvent(recordsOf(topic, 0, 0, rows)));
    expect(s).toMatchObject({
      applied: 1,
      implausible: 2,
      deadLetteredByReason: { implausible_event_time: 2 },
    });
  });

  it("two concurrent invocations on different partitions touching the same hours give correct totals", async () => {
    const base = jobBlock();
    const topic = uniqueName("agg_concurrent");
    // Same jobs and hours on both partitions (stricter than keying by job_id): the same fact rows
    // are upserted by both invocations at once, in many rounds.
    const poolB = createMysqlPool(config, config.mysql.writer, { connectionLimit: 2 });
    try {
      const a = aggregatorHandler(config, pool, { upsertChunkRows: 50 });
      const b = aggregatorHandler(config, poolB, { upsertChunkRows: 50 });
      const all: TrackingRow[] = [];
      let attempts = 0;
      for (let round = 0; round < 8; round++) {
        const ra = randomRows(800, base, 60, Date.UTC(2025, 6, 1), 3);
        const rb = randomRows(800, base, 60, Date.UTC(2025, 6, 1), 3);
        all.push(...ra, ...rb);
        const [sa, sb] = await Promise.all([
          a(mskEvent(recordsOf(topic, 0, round * 800, ra))),
          b(mskEvent(recordsOf(topic, 1, round * 800, rb))),
        ]);
        expect(sa.applied + sb.applied).toBe(1_600);
        attempts += sa.attempts + sb.attempts;
      }
      expect(await factTotals(pool, base)).toEqual(referenceTotals(all));
      expect(attempts).toBeGreaterThanOrEqual(16);
    } finally {
      await poolB.end();
    }
  });

  it("prunes applied event ids older than the window (the writer may delete there only)", async () => {
    const old = `prune-test/${uniqueName("old")}`;
    const recent = `prune-test/${uniqueName("recent")}`;
    await pool.query(
      `INSERT INTO ${MYSQL_TABLES.processedEvents} (event_id, processed_at) VALUES (?, NOW(3) - INTERVAL 30 HOUR), (?, NOW(3) - INTERVAL 1 HOUR)`,
      [old, recent],
    );
    const pruned = await new MysqlWarehouse(pool, { upsertChunkRows: 500 }).pruneProcessedEvents(24);
    expect(pruned).toBeGreaterThanOrEqual(1);
    const [rows] = await pool.query(
      `SELECT event_id FROM ${MYSQL_TABLES.processedEvents} WHERE event_id IN (?, ?)`,
      [old, recent],
    );
    expect((rows as Array<{ event_id: string }>).map((r) => r.event_id)).toEqual([recent]);
  });
});
