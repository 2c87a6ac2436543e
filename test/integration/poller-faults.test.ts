import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Config } from "../../lib/config/index.js";
import { EVENT_ID_HEADER } from "../../lib/core/envelope.js";
import { type Log, silentLog } from "../../lib/use-cases/ports/log.js";
import { startInProcessPoller } from "./support/in-process-poller.js";
import { isolatedLake, readAllChangeEvents } from "./support/isolated-lake.js";
import { RecordingLakeWriter } from "./support/lake-writer.js";

async function expectExactlyOnce(config: Config, written: Set<string>): Promise<void> {
  const counts = new Map<string, number>();
  for (const m of await readAllChangeEvents(config)) {
    const id = m.headers?.[EVENT_ID_HEADER]?.toString() ?? "(none)";
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const missing = [...written].filter((id) => !counts.has(id)).length;
  const duplicated = [...counts.values()].filter((n) => n > 1).length;
  const unknown = [...counts.keys()].filter((id) => !written.has(id)).length;
  expect({ missing, duplicated, unknown, total: [...counts.values()].reduce((a, b) => a + b, 0) }).toEqual({
    missing: 0,
    duplicated: 0,
    unknown: 0,
    total: written.size,
  });
}

/** Runs the poller in-process until `stop` resolves. */
async function pollUntil(config: Config, stop: Promise<unknown>, log: Log = silentLog) {
  const poller = startInProcessPoller(config, { remainingMs: 120_000, pollIntervalMs: 100, log });
  await Promise.race([stop, poller.finished.then(() => undefined)]);
  return poller.stop();
}

const fastEnv = {
  CDC_POLL_INTERVAL_MS: "100",
  CDC_SWEEP_SCHEDULE: "5000:500",
  CDC_MAX_BATCH_ROWS: "300",
  CASSANDRA_SHARDS: "3",
};

describe("CDC poller: crashes and overlapping instances", () => {
  let lake: Awaited<ReturnType<typeof isolatedLake>>;
  let config: Config;

  // Each test gets its own keyspace and topics.
  beforeEach(async () => {
    lake = await isolatedLake("jtp_t_pfault", {
      ...fastEnv,
      CDC_START_FROM: new Date(Date.now() - 60_000).toISOString(),
    });
    config = lake.config;
  });

  afterEach(async () => {
    await lake.drop();
  });

  it("loses and repeats nothing when the poller is killed between publish and commit", async () => {
    const writer = new RecordingLakeWriter(config, 11);
    await writer.write(2_000);
    // A real process, SIGKILLed by fault injection after sending its 3rd batch, before committing it.
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "bin/jtp.ts", "poll", "--duration", "60", "--kill-before-commit", "3"],
      {
        env: { ...process.env, ...lake.env },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    expect(exit.signal, stderr).toBe("SIGKILL");
    expect(stderr).toContain("SIGKILL before commit of transaction 3");
    // More rows arrive while no poller runs; then a new poller takes over (fencing the dead one's open transaction).
    await writer.write(500);
    const summary = await pollUntil(config, sleep(6_000));
    expect(summary.state).toBe("rebuilt");
    await writer.close();
    await expectExactlyOnce(config, writer.written);
  });

  it("publishes once when two pollers start at the same time on the same shards", async () => {
    const writer = new RecordingLakeWriter(config, 12);
    await writer.write(1_000);
    const writing = (async () => {
      for (let i = 0; i < 15; i++) {
        await writer.write(40);
        await sleep(100);
      }
    })();
    const done = writing.then(() => sleep(3_000));
    const [a, b] = await Promise.all([pollUntil(config, done), pollUntil(config, done)]);
    // One of them was fenced by the other's transactional id (or both ran in turn); never both publishing.
    expect([a.stoppedBy, b.stoppedBy]).toContain("fenced");
    await writer.close();
    await expectExactlyOnce(config, writer.written);
  });
});
