import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../lib/config/index.js";
import { EVENT_ID_HEADER } from "../../lib/core/envelope.js";
import { eventId } from "../../lib/core/tracking-row.js";
import { createPoller } from "../../lib/use-cases/cdc/create-poller.js";
import type { Log } from "../../lib/use-cases/cdc/poller-ports.js";
import { runPollerInvocation } from "../../lib/use-cases/cdc/run-invocation.js";
import { isolatedLake, readAllChangeEvents } from "./support/isolated-lake.js";
import { RecordingLakeWriter } from "./support/lake-writer.js";

describe("CDC poller: rows later than the configured bound", () => {
  let lake: Awaited<ReturnType<typeof isolatedLake>>;
  let config: Config;

  beforeAll(async () => {
    lake = await isolatedLake("jtp_t_plate", {
      CDC_START_FROM: new Date(Date.now() - 30_000).toISOString(),
      CDC_POLL_INTERVAL_MS: "100",
      CDC_LATE_WINDOW_MS: "2000",
      CDC_LATE_SWEEP_MS: "300",
      CDC_AUDIT_DELAY_MS: "5000",
      CASSANDRA_SHARDS: "2",
    });
    config = lake.config;
  });

  afterAll(async () => {
    await lake.drop();
  });

  it("publishes rows inside the bound, and counts and logs (never silently drops) rows beyond it", async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const log: Log = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (message, extra) => warnings.push({ message, ...extra }),
    };
    const writer = new RecordingLakeWriter(config, 31);
    const poller = createPoller(config, log);
    const ctrl = new AbortController();
    const run = runPollerInvocation(
      poller.session,
      { remainingMs: () => 60_000, safetyMarginMs: 0, pollIntervalMs: 100, signal: ctrl.signal },
      log,
    );
    await writer.write(100);
    await sleep(1_500);
    const inside = await writer.write(5, () => new Date(Date.now() - 1_000)); // 1 s late: bound is 2 s
    // 4 s late: beyond the 2 s bound, inside the 5 s audit delay (rows later than bound + delay are only found by reconciliation)
    const beyond = await writer.write(3, () => new Date(Date.now() - 4_000));
    await sleep(9_000); // window (2 s) + audit delay (5 s) + slack
    ctrl.abort();
    const summary = await run;
    await poller.close();
    await writer.close();

    const published = new Set(
      (await readAllChangeEvents(config)).map((m) => m.headers?.[EVENT_ID_HEADER]?.toString()),
    );
    for (const r of inside) expect(published.has(eventId(r))).toBe(true);
    for (const r of beyond) expect(published.has(eventId(r))).toBe(false);
    expect(summary.beyondBound).toBe(3);
    const reported = warnings.filter(
      (w) => w.message === "rows beyond the late-row bound were not published",
    );
    expect(reported.reduce((n, w) => n + Number(w.rowsInLake) - Number(w.rowsPublished), 0)).toBe(3);
  });
});
