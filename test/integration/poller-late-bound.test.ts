import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../lib/config/index.js";
import { EVENT_ID_HEADER } from "../../lib/core/envelope.js";
import { eventId } from "../../lib/core/tracking-row.js";
import { startInProcessPoller } from "./support/in-process-poller.js";
import { isolatedLake, readAllChangeEvents } from "./support/isolated-lake.js";
import { RecordingLakeWriter } from "./support/lake-writer.js";

describe("CDC poller: look-back sweeps", () => {
  let lake: Awaited<ReturnType<typeof isolatedLake>>;
  let config: Config;

  beforeAll(async () => {
    lake = await isolatedLake("jtp_t_plate", {
      CDC_START_FROM: new Date(Date.now() - 30_000).toISOString(),
      CDC_POLL_INTERVAL_MS: "100",
      // Rows up to 2 s behind the cursor are swept every 300 ms; later rows are the reconciler's.
      CDC_SWEEP_SCHEDULE: "2000:300",
      CASSANDRA_SHARDS: "2",
    });
    config = lake.config;
  });

  afterAll(async () => {
    await lake.drop();
  });

  it("publishes rows landing inside the look-back once, leaves later ones to the reconciler, and counts every read", async () => {
    const writer = new RecordingLakeWriter(config, 31);
    const poller = startInProcessPoller(config, { remainingMs: 60_000, pollIntervalMs: 100 });
    const onTime = await writer.write(100);
    await sleep(1_500);
    const inside = await writer.write(5, () => new Date(Date.now() - 1_000)); // 1 s late: look-back is 2 s
    const beyond = await writer.write(3, () => new Date(Date.now() - 6_000)); // 6 s late: beyond it
    await sleep(2_000);
    const summary = await poller.stop();
    await writer.close();

    const published = (await readAllChangeEvents(config)).map((m) =>
      m.headers?.[EVENT_ID_HEADER]?.toString(),
    );
    const counts = new Map<string, number>();
    for (const id of published) if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const r of [...onTime, ...inside]) expect(counts.get(eventId(r))).toBe(1);
    for (const r of beyond) expect(counts.has(eventId(r))).toBe(false);
    expect(summary.lateRows).toBe(inside.length);
    // Every row published was read at least once; sweeps re-read ids on top of that.
    expect(summary.rowsRead).toBeGreaterThan(summary.published);
  });
});
