import { randomUUID } from "node:crypto";
import {
  type Checkpoint,
  checkpointKey,
  encodeCheckpoint,
  type ShardPosition,
} from "../../core/cdc/checkpoint.js";
import { dueTier, lookBackMs } from "../../core/cdc/sweep-schedule.js";
import { changeMessage, type OutgoingMessage } from "../../core/change-message.js";
import type { Log } from "../ports/log.js";
import type { ChangeLog, LakeReader } from "./poller-ports.js";
import type { PollerSettings } from "./poller-settings.js";
import { Prefetcher } from "./prefetcher.js";
import { type FastRead, ShardReader, type SweepRead } from "./shard-reader.js";
import type { PendingRow, ShardState } from "./shard-state.js";
import { loadShardStates } from "./shard-states-loader.js";

export interface PollStats {
  /** Rows (and ids) returned by Cassandra for this poll: fast reads and sweeps. */
  readonly rowsRead: number;
  /** Rows published that a sweep found behind the cursor. */
  readonly lateRows: number;
  readonly published: number;
  readonly checkpointWritten: boolean;
  /** The batch budget ran out before the shards were read up to now: poll again without waiting. */
  readonly backlog: boolean;
  readonly durationMs: number;
  /** Time spent reading the lake, and publishing + committing to Kafka. */
  readonly readMs: number;
  readonly publishMs: number;
  /** now − oldest event time (ts) among published rows. */
  readonly eventLagMs: number | undefined;
  /** now − oldest create_time among published rows. */
  readonly ingestLagMs: number | undefined;
  /** now − newest create_time among published rows. */
  readonly newestIngestLagMs: number | undefined;
  readonly positions: Readonly<Record<number, number>>;
}

const NO_SWEEP: SweepRead = { rows: [] };

/**
 * One poller's state for the shards it owns, kept across warm invocations.
 *
 * Exactly once into Kafka: events and the per-shard cursor (checkpoint) are committed in one Kafka
 * transaction. The cursor alone cannot de-duplicate rows found again by a look-back sweep, so each
 * shard also keeps the ids published within the look-back (ShardState). After a restart, or when
 * another instance wrote since, the session fences older instances, reloads the cursors and rebuilds
 * those ids from the committed topic (loadShardStates). Reading is ShardReader's job; the next
 * batch's reads may start while this one commits (Prefetcher).
 */
export class CdcPollerSession {
  private states: Map<number, ShardState> | undefined;
  private sessionId = "";
  private seq = 0;
  private lastCheckpointAt = Number.NEGATIVE_INFINITY;
  /** When this session first loaded its state: where CDC_START_FROM=now starts, however often it rebuilds before its first commit. */
  private firstLoadAt: number | undefined;
  private readonly reader: ShardReader;
  private readonly prefetcher = new Prefetcher();
  private readonly lookBackMs: number;

  constructor(
    private readonly settings: PollerSettings,
    lake: LakeReader,
    private readonly changeLog: ChangeLog,
    private readonly log: Log,
    private readonly clock: () => number = Date.now,
  ) {
    this.reader = new ShardReader(lake, settings.bucketMs);
    this.lookBackMs = lookBackMs(settings.sweeps);
  }

  /** Makes the in-memory state trustworthy: reuse it if this session wrote the latest checkpoints, else rebuild. */
  async ensureReady(): Promise<"warm" | "rebuilt"> {
    const { shards } = this.settings;
    if (this.states) {
      const current = await this.changeLog.readCheckpoints(shards);
      const ours = shards.every((s) => {
        const c = current.get(s);
        return c !== undefined && c.session === this.sessionId && c.seq === this.seq;
      });
      if (ours || (this.seq === 0 && shards.every((s) => !current.has(s)))) return "warm";
      this.log.warn("checkpoints were written by another poller instance: rebuilding state", { shards });
    }
    await this.rebuild();
    return "rebuilt";
  }

  private forget(): void {
    this.states = undefined;
    this.prefetcher.clear();
  }

  private async rebuild(): Promise<void> {
    const started = this.clock();
    this.forget();
    // Re-initialise the transactional id first: fences any older instance and aborts its open transaction.
    await this.changeLog.disconnect();
    await this.changeLog.connect();
    this.firstLoadAt ??= this.clock();
    const loaded = await loadShardStates(this.settings, this.changeLog, this.lookBackMs, this.firstLoadAt);
    this.states = loaded.states;
    this.sessionId = randomUUID();
    this.seq = 0;
    this.lastCheckpointAt = Number.NEGATIVE_INFINITY;
    this.log.info("poller state rebuilt", {
      shards: this.settings.shards,
      checkpointsFound: loaded.checkpointsFound,
      publishedIdsInLookBack: loaded.publishedIdsInLookBack,
      durationMs: this.clock() - started,
    });
  }

  /** Reads new (and late) rows of every owned shard, publishes them with the new cursors in one transaction. */
  async pollOnce(): Promise<PollStats> {
    if (!this.states) await this.ensureReady();
    const states = this.states;
    if (!states) throw new Error("poller state missing after rebuild");
    const s = this.settings;
    const started = this.clock();
    const upper = started - s.settleMs;
    // Shards are read concurrently, each with its share of the batch budget.
    const share = Math.max(1, Math.floor(s.maxBatchRows / states.size));
    const prefetched = await this.prefetcher.take(states);
    const reads = await Promise.all(
      [...states.values()].map(async (st) => {
        const tier = dueTier(s.sweeps, st.lastSweeps, started);
        const ahead = prefetched?.get(st.shard);
        const [late, fast] = await Promise.all([
          tier >= 0 ? this.reader.sweep(st, s.sweeps[tier]?.ageMs ?? 0, share) : NO_SWEEP,
          ahead ? withoutPublished(ahead, st) : this.reader.fastRead(st, st.position, upper, share),
        ]);
        // Late rows and new rows share the shard's budget: the fast read gives way (the rest is read next poll).
        return { st, tier, late, fast: capped(fast, st.position, share - late.rows.length) };
      }),
    );
    const backlog = reads.some((r) => r.fast.cut);
    if (backlog) {
      this.prefetcher.start(states, () =>
        Promise.all(
          reads.map((r) => this.reader.fastRead(r.st, r.fast.position, this.clock() - s.settleMs, share)),
        ),
      );
    }
    // De-duplicate within the batch (a late row can be met by the sweep and the fast read in one poll).
    const unique = new Map<string, PendingRow>();
    for (const r of reads) for (const p of [...r.late.rows, ...r.fast.rows]) unique.set(p.id, p);
    const published = [...unique.values()];
    const messages = published.map((p) =>
      changeMessage(p.row, { keyspace: s.keyspace, table: s.table, nowMs: started, origin: "stream" }),
    );

    const readDone = this.clock();
    const checkpointWritten = await this.commit(messages, reads, started);
    const publishDone = this.clock();

    // Committed (or nothing to commit): advance in-memory state.
    for (const p of published) states.get(p.row.shard)?.markPublished(p.id, p.createMs);
    for (const r of reads) r.st.advance(r.fast.position, r.tier, started, this.lookBackMs);

    const lags = lagStats(published, started);
    return {
      rowsRead: this.reader.takeRowsRead(),
      lateRows: reads.reduce((n, r) => n + r.late.rows.length, 0),
      published: published.length,
      checkpointWritten,
      backlog,
      durationMs: this.clock() - started,
      readMs: readDone - started,
      publishMs: publishDone - readDone,
      ...lags,
      positions: Object.fromEntries([...states.values()].map((st) => [st.shard, st.position.ms])),
    };
  }

  /** Publishes the events with the shards' next cursors in one transaction (or nothing, when idle and not due). */
  private async commit(
    messages: readonly OutgoingMessage[],
    reads: ReadonlyArray<{ readonly st: ShardState; readonly fast: FastRead }>,
    nowMs: number,
  ): Promise<boolean> {
    const due = messages.length > 0 || nowMs - this.lastCheckpointAt >= this.settings.idleCheckpointMs;
    if (!due) return false;
    const seq = this.seq + 1;
    const checkpoints: OutgoingMessage[] = reads.map(({ st, fast }) => {
      const c: Checkpoint = {
        v: 1,
        shard: st.shard,
        position: fast.position,
        session: this.sessionId,
        seq,
        writtenAtMs: nowMs,
      };
      return { key: checkpointKey(st.shard), value: encodeCheckpoint(c) };
    });
    try {
      await this.changeLog.publish(messages, checkpoints);
    } catch (err) {
      // Outcome unknown: forget the in-memory state; the next poll fences, reloads and rebuilds from Kafka.
      this.forget();
      throw err;
    }
    this.seq = seq;
    this.lastCheckpointAt = nowMs;
    return true;
  }

  async close(): Promise<void> {
    this.forget();
    await this.changeLog.disconnect();
  }
}

/** The first `max` rows of a fast read, the cursor after the last one kept (a backlog remains when rows were dropped). */
function capped(read: FastRead, from: ShardPosition, max: number): FastRead {
  if (read.rows.length <= max) return read;
  const rows = read.rows.slice(0, Math.max(0, max));
  const last = rows.at(-1);
  const position: ShardPosition = last
    ? { kind: "row", uuid: last.row.create_time, ms: last.createMs }
    : from;
  return { ...read, rows, position, cut: true };
}

/** A prefetched read, minus rows published since it started. */
function withoutPublished(read: FastRead, st: ShardState): FastRead {
  return { ...read, rows: read.rows.filter((r) => !st.isPublished(r.id)) };
}

function lagStats(
  published: readonly PendingRow[],
  nowMs: number,
): Pick<PollStats, "eventLagMs" | "ingestLagMs" | "newestIngestLagMs"> {
  if (published.length === 0)
    return { eventLagMs: undefined, ingestLagMs: undefined, newestIngestLagMs: undefined };
  let oldestTs = Number.POSITIVE_INFINITY;
  let oldestCreate = Number.POSITIVE_INFINITY;
  let newestCreate = Number.NEGATIVE_INFINITY;
  for (const p of published) {
    if (p.row.ts !== null && p.row.ts < oldestTs) oldestTs = p.row.ts;
    if (p.createMs < oldestCreate) oldestCreate = p.createMs;
    if (p.createMs > newestCreate) newestCreate = p.createMs;
  }
  return {
    eventLagMs: Number.isFinite(oldestTs) ? nowMs - oldestTs : undefined,
    ingestLagMs: nowMs - oldestCreate,
    newestIngestLagMs: nowMs - newestCreate,
  };
}
