import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { MYSQL_TABLES } from "../../lib/schema-names.js";
import { replayRange } from "../../lib/use-cases/reconcile/replay-range.js";
import { factTotals } from "./support/aggregator-helpers.js";
import { readAllChangeEvents } from "./support/isolated-lake.js";
import {
  expectRefusedWithGuardOff,
  type JtpRun,
  ReconcileLab as Lab,
  type ReconcileLab,
  runJtp,
} from "./support/reconcile-harness.js";

const HOUR = 3_600_000;

/** Whole UTC hours (the lab's reporting zone) covering the event times of the lab's valid rows. */
function hoursOf(lab: ReconcileLab): {
  fromMs: number;
  toMs: number;
  hours: Array<{ dates: string; hours: number }>;
} {
  const ts = lab.lake.valid.map((r) => r.ts ?? 0);
  const fromMs = Math.floor(Math.min(...ts) / HOUR) * HOUR;
  const toMs = Math.floor(Math.max(...ts) / HOUR) * HOUR + HOUR;
  const hours = [];
  for (let h = fromMs; h < toMs; h += HOUR) {
    const iso = new Date(h).toISOString();
    hours.push({ dates: iso.slice(0, 10), hours: Number(iso.slice(11, 13)) });
  }
  return { fromMs, toMs, hours };
}

/** `jtp replay --rebuild` of [fromMs, toMs) as the operator runs it. */
function runRebuild(lab: ReconcileLab, fromMs: number, toMs: number): Promise<JtpRun> {
  return runJtp(
    ["replay", "--from", new Date(fromMs).toISOString(), "--to", new Date(toMs).toISOString(), "--rebuild"],
    lab.env,
  );
}

/**
 * `jtp replay` against the real servers: re-publishing a range is exactly once through the
 * aggregator's event-id guard (an applied range changes nothing), `--rebuild` recomputes warehouse
 * hours from the lake (restores deleted rows exactly, and works beyond the horizon), and the
 * command refuses what it cannot do safely, saying why.
 */
describe("replay and rebuild", () => {
  it("replaying an applied range changes nothing; after its warehouse rows are deleted, --rebuild restores them exactly", async () => {
    const started = Date.now();
    const lab = await Lab.open("jtp_t_replay", {
      CDC_START_FROM: new Date(Date.now() - 10_000).toISOString(),
    });
    try {
      await lab.startAggregator();
      const poller = lab.startPoller();
      for (let i = 0; i < 4; i++) {
        await lab.lake.write(150);
        await sleep(300);
      }
      expect(await lab.waitForAccounted(600)).toBe(600);
      await poller.stop();
      await lab.expectEachEventOnce();
      const facts = await factTotals(lab.pool, lab.jobFrom);
      const processed = await lab.processedIds();

      // Replay of the applied range (as the operator runs it): every row re-published, none applied twice.
      const rows = lab.lake.valid;
      const from = new Date(Math.min(...rows.map((r) => r.bucket))).toISOString();
      const to = new Date(Math.max(...rows.map((r) => r.bucket)) + lab.bucketMs).toISOString();
      const replay = await runJtp(["replay", "--from", from, "--to", to], lab.env);
      expect(replay.code, replay.stdout + replay.stderr).toBe(0);
      expect(replay.stdout).toContain("600 rows re-published");
      expect(await lab.waitForRecords(1_200)).toBe(1_200); // the stream's 600 and the replay's 600
      await sleep(500);
      expect(await factTotals(lab.pool, lab.jobFrom)).toEqual(facts);
      expect(await lab.processedIds()).toEqual(processed);
      expect(await lab.passes()).toEqual([{ id: 1, mode: "replay", status: "done" }]);

      // The range's warehouse rows are lost (deleted by hand); a plain replay cannot bring them
      // back (the guard remembers every id), the rebuild recomputes those hours from the lake.
      const { fromMs, toMs, hours } = hoursOf(lab);
      for (const h of hours) {
        await lab.admin.query(`DELETE FROM ${MYSQL_TABLES.events} WHERE dates = ? AND hours = ?`, [
          h.dates,
          h.hours,
        ]);
      }
      expect((await factTotals(lab.pool, lab.jobFrom)).size).toBe(0);
      const rt = lab.reconciler("replay");
      const again = await replayRange(rt.settings, rt.deps, {
        buckets: [...new Set(rows.map((r) => r.bucket))].sort((a, b) => a - b),
        shards: rt.settings.shards,
        fromMs: Date.parse(from),
        toMs: Date.parse(to),
      });
      expect(again).toMatchObject({ status: "done", published: 600 });
      expect(await lab.waitForRecords(1_800)).toBe(1_800);
      expect((await factTotals(lab.pool, lab.jobFrom)).size).toBe(0);

      const rebuild = await runRebuild(lab, fromMs, toMs);
      expect(rebuild.code, rebuild.stdout + rebuild.stderr).toBe(0);
      expect(rebuild.stdout).toMatch(/\[rebuild\] pass \d+ done .* from 600 lake rows/);
      expect(await factTotals(lab.pool, lab.jobFrom)).toEqual(facts);
      await lab.expectEachEventOnce();
      console.log(
        `replay: jtp replay ${replay.durationMs} ms, jtp replay --rebuild (${hours.length} h) ${rebuild.durationMs} ms, test ${Date.now() - started} ms`,
      );
    } finally {
      await lab.close();
    }
  }, 120_000);

  it("refuses to replay with the event-id guard off, says why, publishes nothing", async () => {
    await expectRefusedWithGuardOff("jtp_t_replay_guard", "replay");
  }, 60_000);

  it("refuses a range beyond RECONCILE_HORIZON, pointing to --rebuild, which then recomputes those hours", async () => {
    const lab = await Lab.open("jtp_t_replay_horizon");
    try {
      // Rows 4 h old (the lab's horizon is 3 h): the guard may have forgotten their ids.
      const at = Math.floor((Date.now() - 4 * HOUR) / HOUR) * HOUR + 10 * 60_000;
      await lab.lake.write(200, (i) => at + i * 1_000);
      const range = [
        "--from",
        new Date(at - 60_000).toISOString(),
        "--to",
        new Date(at + 300_000).toISOString(),
      ];
      const replay = await runJtp(["replay", ...range], lab.env);
      expect(replay.code).not.toBe(0);
      expect(replay.stderr).toContain("beyond the reconciliation horizon (RECONCILE_HORIZON)");
      expect(replay.stderr).toContain("--rebuild");
      const reconcile = await runJtp(["reconcile", ...range], lab.env);
      expect(reconcile.code).not.toBe(0);
      expect(reconcile.stderr).toContain("jtp replay --rebuild");
      expect(await readAllChangeEvents(lab.config)).toHaveLength(0);
      expect(await lab.passes()).toEqual([]);

      // What the message points to: the hour rebuilt from the lake, each event once.
      const { fromMs, toMs } = hoursOf(lab);
      const rebuild = await runRebuild(lab, fromMs, toMs);
      expect(rebuild.code, rebuild.stdout + rebuild.stderr).toBe(0);
      expect(await lab.passes()).toEqual([{ id: 1, mode: "rebuild", status: "done" }]);
      await lab.expectEachEventOnce();
    } finally {
      await lab.close();
    }
  }, 90_000);
});
