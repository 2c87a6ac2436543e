import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../lib/config/index.js";
import { EVENT_ID_HEADER } from "../../lib/core/envelope.js";
import { startInProcessPoller } from "./support/in-process-poller.js";
import { isolatedLake, readAllChangeEvents } from "./support/isolated-lake.js";
import { RecordingLakeWriter } from "./support/lake-writer.js";

/** Event ids in the topic, with how many times each occurs. */
async function topicIdCounts(config: Config): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const m of await readAllChangeEvents(config)) {
    const id = m.headers?.[EVENT_ID_HEADER]?.toString() ?? "(none)";
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

function expectExactlyOnce(written: Set<string>, counts: Map<string, number>): void {
  const missing = [...written].filter((id) => !counts.has(id));
  const duplicated = [...counts].filter(([, n]) => n > 1);
  const unknown = [...counts.keys()].filter((id) => !written.has(id));
  expect({ missing: missing.length, duplicated: duplicated.length, unknown: unknown.length }).toEqual({
    missing: 0,
    duplicated: 0,
    unknown: 0,
  });
  expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(written.size);
}

describe("CDC poller: exactly once into Kafka", () => {
  let lake: Awaited<ReturnType<typeof isolatedLake>>;
  let config: Config;

  beforeAll(async () => {
    lake = await isolatedLake("jtp_t_poll", {
      CDC_START_FROM: new Date(Date.now() - 60_000).toISOString(),
      CDC_POLL_INTERVAL_MS: "100",
      CDC_SWEEP_SCHEDULE: "1000:0,8000:500",
      CDC_MAX_BATCH_ROWS: "700",
      CASSANDRA_SHARDS: "4",
    });
    config = lake.config;
  });

  afterAll(async () => {
    await lake.drop();
  });

  it("publishes rows from concurrent writers, identical timestamps and late rows exactly once", async () => {
    const writer = new RecordingLakeWriter(config, 7);
    await writer.write(1500); // backlog before the poller starts
    const poller = startInProcessPoller(config, { remainingMs: 60_000, pollIntervalMs: 100 });
    const sameMs = new Date(Date.now() - 500);
    await Promise.all([
      (async () => {
        for (let i = 0; i < 20; i++) {
          await writer.write(50);
          await sleep(50);
        }
      })(),
      (async () => {
        for (let i = 0; i < 10; i++) {
          await writer.write(20, () => sameMs); // 200 rows sharing one millisecond
          await sleep(80);
        }
      })(),
      (async () => {
        for (let i = 0; i < 10; i++) {
          await writer.write(10, () => new Date(Date.now() - 4_000)); // late, inside the 8 s look-back
          await sleep(120);
        }
      })(),
    ]);
    await sleep(3_000); // one more sweep after the last late row
    const summary = await poller.stop();
    await writer.close();
    expect(summary.lateRows).toBeGreaterThan(0);
    expectExactlyOnce(writer.written, await topicIdCounts(config));
  });
});
