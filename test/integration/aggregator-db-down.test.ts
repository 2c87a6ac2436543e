import type { PoolConnection } from "mysql2/promise";
import { describe, expect, it } from "vitest";
import { TransientError } from "../../lib/errors.js";
import { MYSQL_TABLES } from "../../lib/schema-names.js";
import { mskEvent, recordsOf, referenceTotals, trackingRow } from "../support/aggregator-fixtures.js";
import { adminConnection } from "./support/admin-connection.js";
import {
  aggregatorHandler,
  factTotals,
  jobBlock,
  ledgerOffset,
  mariadb,
  writerPoolForFile,
} from "./support/aggregator-helpers.js";
import { testConfig, uniqueName } from "./support/config.js";

const config = testConfig();
const pool = writerPoolForFile(config);

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("aggregator with the database going down", () => {
  it("throws while MariaDB is down mid-batch, leaves nothing half-applied, and applies everything once after restart", async () => {
    const base = jobBlock();
    const topic = uniqueName("agg_dbdown");
    const ts = Date.UTC(2025, 7, 1, 10);
    // 40 jobs → 40 fact rows; with 10 rows per statement the batch writes several chunks before
    // it reaches the last job, whose row another session holds locked.
    const batchA = Array.from({ length: 40 }, (_, i) => trackingRow({ job_id: base + i, ts }));
    const batchB = Array.from({ length: 200 }, (_, i) => trackingRow({ job_id: base + (i % 40), ts }));
    const batchC = Array.from({ length: 10 }, (_, i) =>
      trackingRow({ job_id: base + i, ts: ts + 3_600_000 }),
    );
    const handler = aggregatorHandler(config, pool, { upsertChunkRows: 10 });

    await handler(mskEvent(recordsOf(topic, 0, 0, batchA)));
    expect(await ledgerOffset(pool, topic, 0)).toBe(39);

    const blocker: PoolConnection = await pool.getConnection();
    let stopped = false;
    try {
      await blocker.beginTransaction();
      await blocker.query(`SELECT id FROM ${MYSQL_TABLES.events} WHERE job_id = ? FOR UPDATE`, [base + 39]);
      const inFlight = handler(mskEvent(recordsOf(topic, 0, 40, batchB)));
      inFlight.catch(() => undefined);
      // wait until the batch transaction has written its first chunks and waits for the locked row
      const admin = await adminConnection(config, { withoutDatabase: true });
      try {
        await waitFor(async () => {
          const [rows] = await admin.query(
            "SELECT COUNT(*) AS n FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'",
          );
          return Number((rows as Array<{ n: number }>)[0]?.n) > 0;
        }, 20_000);
      } finally {
        await admin.end();
      }

      stopped = true;
      await mariadb("stop");
      await expect(inFlight).rejects.toBeInstanceOf(TransientError);
      // another batch while the server is down: refused, thrown, nothing recorded
      await expect(handler(mskEvent(recordsOf(topic, 0, 240, batchC)))).rejects.toBeInstanceOf(
        TransientError,
      );
      blocker.destroy();
    } finally {
      if (stopped) await mariadb("start");
      else blocker.release();
    }

    // nothing of B or C: facts, ledger and applied event ids are as after A
    expect(await factTotals(pool, base)).toEqual(referenceTotals(batchA));
    expect(await ledgerOffset(pool, topic, 0)).toBe(39);
    const [ids] = await pool.query(
      `SELECT COUNT(*) AS n FROM ${MYSQL_TABLES.processedEvents} WHERE event_id IN (?)`,
      [batchB.map((r) => `${r.bucket}/${r.shard}/${r.create_time}`)],
    );
    expect(Number((ids as Array<{ n: number }>)[0]?.n)).toBe(0);

    // the event source mapping redelivers B then C (the warm handler reuses its pool)
    expect((await handler(mskEvent(recordsOf(topic, 0, 40, batchB)))).applied).toBe(200);
    expect((await handler(mskEvent(recordsOf(topic, 0, 240, batchC)))).applied).toBe(10);
    // and once more, as after a timeout: no change
    expect((await handler(mskEvent(recordsOf(topic, 0, 40, [...batchB, ...batchC])))).applied).toBe(0);
    expect(await factTotals(pool, base)).toEqual(referenceTotals([...batchA, ...batchB, ...batchC]));
    expect(await ledgerOffset(pool, topic, 0)).toBe(249);
  }, 300_000);
});
