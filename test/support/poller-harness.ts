import type { PollStats } from "../../lib/use-cases/cdc/cdc-poller-session.js";
import { CdcPollerSession } from "../../lib/use-cases/cdc/cdc-poller-session.js";
import type { PollerSettings } from "../../lib/use-cases/cdc/poller-settings.js";
import { type FakeChangeLog, FakeKafka } from "./fake-change-log.js";
import { FakeLake } from "./fake-lake.js";
import { RecordingLog } from "./recording-log.js";

/** 2026-11-25T10:10:00Z: ten minutes into an hour, so minute and hour buckets are both aligned. */
export const T0 = Date.UTC(2026, 10, 25, 10, 10, 0, 0);

export interface PollerInstance {
  readonly session: CdcPollerSession;
  readonly changeLog: FakeChangeLog;
  readonly log: RecordingLog;
}

/**
 * A poller session on fakes: an in-memory lake, an in-memory Kafka and a hand-driven clock
 * (`clock.now`, epoch ms; or `options.now`, e.g. Date.now under fake timers). `instance()` makes another poller for the same shards (same lake, same
 * Kafka, same transactional id), as a second Lambda instance would be.
 */
export function pollerHarness(
  overrides: Partial<PollerSettings> = {},
  options: { readonly now?: () => number } = {},
) {
  const trace: string[] = [];
  const clock = { now: T0 };
  const now = options.now ?? (() => clock.now);
  const settings: PollerSettings = {
    keyspace: "ks",
    table: "tracking",
    shards: [0],
    bucketMs: 60_000,
    settleMs: 150,
    sweeps: [],
    maxBatchRows: 1_000,
    startFrom: T0 - 10_000,
    idleCheckpointMs: 5_000,
    ...overrides,
  };
  const lake = new FakeLake({ bucketMs: settings.bucketMs, trace });
  const kafka = new FakeKafka({ trace });
  const instance = (): PollerInstance => {
    const changeLog = kafka.client();
    const log = new RecordingLog();
    return { session: new CdcPollerSession(settings, lake, changeLog, log, now), changeLog, log };
  };
  const main = instance();
  const stats: PollStats[] = [];
  return {
    settings,
    clock,
    lake,
    kafka,
    trace,
    instance,
    ...main,
    /** Every PollStats returned by `poll`, in order. */
    stats,
    /** Advances the clock by `ms`, then polls once with the main session. */
    async poll(ms = 0): Promise<PollStats> {
      clock.now += ms;
      const s = await main.session.pollOnce();
      stats.push(s);
      return s;
    },
    /** Polls every `intervalMs` (the first poll after `intervalMs`) until `durationMs` have passed. */
    async pollFor(durationMs: number, intervalMs: number): Promise<PollStats[]> {
      const out: PollStats[] = [];
      const end = clock.now + durationMs;
      while (clock.now + intervalMs <= end) {
        clock.now += intervalMs;
        const s = await main.session.pollOnce();
        stats.push(s);
        out.push(s);
      }
      return out;
    },
    /** How many times each lake row was committed to Kafka (0 for rows never published). */
    countsOf(rows: ReadonlyArray<{ bucket: number; shard: number; create_time: string }>): number[] {
      const counts = kafka.publishedCounts();
      return rows.map((r) => counts.get(`${r.bucket}/${r.shard}/${r.create_time}`) ?? 0);
    },
  };
}

export type PollerHarness = ReturnType<typeof pollerHarness>;
