import type { Pool } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateMysql } from "../../infra/migrate/migrate-mysql.js";
import { AppliedFreshness } from "../../infra/tooling/metrics/applied-freshness.js";
import { AppliedEvents } from "../../infra/tooling/mysql/applied-events.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import { type Config, loadConfig } from "../../lib/config/index.js";
import { MYSQL_TABLES } from "../../lib/schema-names.js";
import { uniqueName } from "./support/config.js";

const config: Config = loadConfig({ ...process.env, MYSQL_DATABASE: uniqueName("jtp_applied") });
let admin: Pool;
let reader: Pool;

/** A version-1 UUID whose time is `ms` (epoch). */
function timeuuidAt(ms: number): string {
  const hex = ((BigInt(ms) + 12_219_292_800_000n) * 10_000n).toString(16).padStart(15, "0");
  return `${hex.slice(7, 15)}-${hex.slice(3, 7)}-1${hex.slice(0, 3)}-8000-000000000000`;
}

beforeAll(async () => {
  await migrateMysql(config, () => undefined);
  admin = createMysqlPool(config, config.mysql.admin, { connectionLimit: 2 });
  reader = createMysqlPool(config, config.mysql.reader, { connectionLimit: 2 });
});

afterAll(async () => {
  await reader?.end();
  await admin?.query(`DROP DATABASE IF EXISTS \`${config.mysql.database}\``).catch(() => undefined);
  await admin?.end();
});

describe("applied events (processed_events) as the status commands read them, reporting account", () => {
  it("returns the events applied since a time, oldest first, in epoch ms whatever the session time zone", async () => {
    const [clock] = await admin.query("SELECT ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS now_ms");
    const now = Number((clock as Array<{ now_ms: string }>)[0]?.now_ms);
    const created = now - 5_000;
    const ids = [0, 1, 2].map((i) => `${created - (created % 60_000)}/${i}/${timeuuidAt(created + i)}`);
    // applied 4 s, 3 s and 2 s ago; a session in another time zone writes them
    const conn = await admin.getConnection();
    await conn.query("SET time_zone = '+05:30'");
    for (const [i, id] of ids.entries()) {
      await conn.query(
        `INSERT INTO ${MYSQL_TABLES.processedEvents} (event_id, processed_at) VALUES (?, FROM_UNIXTIME(?))`,
        [id, (now - 4_000 + i * 1_000) / 1000],
      );
    }
    conn.release();

    const applied = new AppliedEvents(reader);
    const page = await applied.since(now - 10_000);
    expect(page.events).toEqual(ids.map((id, i) => ({ eventId: id, appliedAtMs: now - 4_000 + i * 1_000 })));
    expect(page.truncated).toBe(false);
    expect(Math.abs(page.nowMs - Date.now())).toBeLessThan(5_000);
    expect((await applied.since(now - 2_500)).events.map((e) => e.eventId)).toEqual([ids[2]]);
    expect((await applied.since(now - 10_000, 2)).truncated).toBe(true);
    expect(await applied.appliedAt(ids[1] ?? "")).toBe(now - 3_000);
    expect(await applied.appliedAt("0/0/not-applied")).toBeUndefined();

    // status's figures from them: age = applied − create_time
    const figures = new AppliedFreshness({ from: "created", startedAtMs: page.nowMs - 60_000 });
    figures.recordApplied(page.events, page.nowMs);
    const snap = figures.snapshot(page.nowMs);
    expect(snap.windows[0]?.applied.count).toBe(3);
    // created at created + i, applied at now − 4 s + i s: ages 1000, 1999, 2998 ms
    expect(snap.sinceStart.p50Ms).toBe(1_999);
    expect(snap.sinceStart.p99Ms).toBe(2_998);
  });
});
