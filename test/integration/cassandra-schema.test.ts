import cassandra from "cassandra-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CassandraClient, createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import { TRACKING_TABLE } from "../../lib/schema-names.js";
import { testConfig } from "./support/config.js";

const config = testConfig();
let client: CassandraClient;

beforeAll(async () => {
  client = createCassandraClient(config);
  await client.connect();
});

afterAll(async () => {
  await client.shutdown();
});

describe("Cassandra tracking table (project schema)", () => {
  it("round-trips a row with every original column", async () => {
    const bucket = new Date(Date.UTC(2001, 0, 1, 0, Math.floor(Math.random() * 1000)));
    const shard = 0;
    const id = cassandra.types.TimeUuid.now();
    const row = {
      bucket,
      shard,
      create_time: id,
      job_id: 42,
      custom_track: "click",
      bid: 1.25,
      campaign_id: 7,
      group_id: 3,
      publisher_id: 11,
      ts: new Date("2024-05-01T10:15:00Z"),
      bn: "Chrome 120",
      cd: 24,
      de: "UTF-8",
      dl: "https://example.test/jobs/42",
      dt: "Job 42",
      ed: "",
      ev: 2,
      id: "abc",
      md: "true",
      rl: "",
      sr: "1920x1080",
      tz: -420,
      ua: "Mozilla/5.0",
      uid: "1-abc",
      utm_campaign: "spring",
      utm_content: "banner",
      utm_medium: "cpc",
      utm_source: "google",
      utm_term: "engineer",
      v: 1,
      vp: "1280x720",
    };
    const cols = Object.keys(row);
    await client.execute(
      `INSERT INTO ${TRACKING_TABLE} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
      Object.values(row),
    );
    const rs = await client.execute(
      `SELECT * FROM ${TRACKING_TABLE} WHERE bucket = ? AND shard = ? AND create_time > minTimeuuid(?) AND create_time <= maxTimeuuid(?)`,
      [bucket, shard, new Date(Date.now() - 60_000), new Date(Date.now() + 1_000)],
    );
    expect(rs.rowLength).toBe(1);
    const got = rs.first();
    expect(got.get("create_time").toString()).toBe(id.toString());
    for (const [k, v] of Object.entries(row)) {
      if (k === "create_time") continue;
      const actual = got.get(k) as unknown;
      if (v instanceof Date) expect((actual as Date).toISOString()).toBe(v.toISOString());
      else expect(actual).toEqual(v);
    }
  });

  it("orders rows in a partition by create_time so a poll is a range read", async () => {
    const bucket = new Date(Date.UTC(2001, 1, 1, 0, Math.floor(Math.random() * 1000)));
    const base = Date.now() - 10_000;
    const ids = [3, 1, 2].map((i) => cassandra.types.TimeUuid.fromDate(new Date(base + i)));
    for (const [i, id] of ids.entries()) {
      await client.execute(
        `INSERT INTO ${TRACKING_TABLE} (bucket, shard, create_time, job_id) VALUES (?, 1, ?, ?)`,
        [bucket, id, i],
      );
    }
    const after = ids[1];
    const rs = await client.execute(
      `SELECT job_id FROM ${TRACKING_TABLE} WHERE bucket = ? AND shard = 1 AND create_time > ?`,
      [bucket, after],
    );
    // ids[1] (base+1) excluded; base+2 (job 2) then base+3 (job 0), in clustering order.
    expect(rs.rows.map((r) => r.get("job_id"))).toEqual([2, 0]);
  });
});
