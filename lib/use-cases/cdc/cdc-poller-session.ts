import { randomUUID } from "node:crypto";
import { bucketsBetween } from "../../core/cdc/buckets.js";
import {
  type Checkpoint,
  checkpointKey,
  encodeCheckpoint,
  type ShardPosition,
} from "../../core/cdc/checkpoint.js";
import { PublishedWindow } from "../../core/cdc/published-window.js";
import { timeuuidToMs } from "../../core/cdc/timeuuid.js";
import { buildEnvelope, EVENT_ID_HEADER, messageKey } from "../../core/envelope.js";
import { eventId, type TrackingRow } from "../../core/tracking-row.js";
import type { ChangeLog, LakeReader, Log, OutgoingMessage } from "./poller-ports.js";

export interface PollerSettings {
  readonly keyspace: string;
  readonly table: string;
  readonly shards: readonly number[];
  readonly bucketMs: number;
  readonly settleMs: number;
  readonly lateWindowMs: number;
  readonly lateSweepMs: number;
  /** Part of the late window re-read on every poll (0 = only the full sweeps). */
  readonly recentSweepMs: number;
  readonly maxBatchRows: number;
  readonly startFrom: number | "now";
  readonly idleCheckpointMs: number;
  /** How long after leaving the late window a second of rows is counted again to detect rows beyond the bound. */
  readonly auditDelayMs: number;
  /** Producer-clock slack when looking for already-published events on restart. */
  readonly restartScanMarginMs: number;
}

export interface PollStats {
  readonly rowsRead: number;
  readonly lateRows: number;
  readonly published: number;
  readonly beyondBound: number;
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
  readonly positions: Readonly<Record<number, number>>;
}

interface ShardState {
  readonly shard: number;
  position: ShardPosition;
  readonly window: PublishedWindow;
  lastSweepAt: number;
  /** Published rows per create_time second, for the beyond-bound audit. */
  readonly perSecond: Map<number, number>;
  /** Seconds before this were not (fully) seen by this session: not audited. */
  auditFrom: number;
}

interface PendingRow {
  readonly row: TrackingRow;
  readonly id: string;
  readonly createMs: number;
}

interface ShardRead {
  readonly shard: number;
  readonly rows: PendingRow[];
  position: ShardPosition;
  cut: boolean;
  swept: boolean;
  rowsRead: number;
  lateRows: number;
}

export interface SessionHooks {
  /** Fault injection for tests: runs after the events are sent, before the transaction commits. */
  readonly beforeCommit?: () => Promise<void>;
}

/**
 * One poller's state for the shards it owns, kept across warm invocations.
 *
 * Exactly once into Kafka: events and the per-shard cursor (checkpoint) are committed in one Kafka
 * transaction. The cursor alone cannot de-duplicate late rows, so the session also keeps the ids of
 * rows published inside the late window. After a restart (or when another instance wrote since), it
 * fences older instances, reloads the cursor and rebuilds those ids from the committed topic itself.
 */
export class CdcPollerSession {
  private states: Map<number, ShardState> | undefined;
  private sessionId = "";
  private seq = 0;
  private lastCheckpointAt = 0;
  private totalBeyondBound = 0;
  private prefetch:
    | { states: Map<number, ShardState>; promise: Promise<Map<number, ShardRead> | undefined> }
    | undefined;

  constructor(
    private readonly settings: PollerSettings,
    private readonly lake: LakeReader,
    private readonly changeLog: ChangeLog,
    private readonly log: Log,
    private readonly clock: () => number = Date.now,
    private readonly hooks: SessionHooks = {},
  ) {}

  get beyondBoundTotal(): number {
    return this.totalBeyondBound;
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

  private async rebuild(): Promise<void> {
    const started = this.clock();
    const s = this.settings;
    this.states = undefined;
    this.prefetch = undefined;
    // Re-initialise the transactional id first: fences any older instance and aborts its open transaction.
    await this.changeLog.disconnect();
    await this.changeLog.connect();
    const checkpoints = await this.changeLog.readCheckpoints(s.shards);
    const now = this.clock();
    const states = new Map<number, ShardState>();
    for (const shard of s.shards) {
      const cp = checkpoints.get(shard);
      const position: ShardPosition = cp?.position ?? {
        kind: "time",
        ms: s.startFrom === "now" ? now - s.settleMs : s.startFrom,
      };
      states.set(shard, {
        shard,
        position,
        window: new PublishedWindow(),
        lastSweepAt: 0,
        perSecond: new Map(),
        auditFrom: Math.ceil((position.ms - s.lateWindowMs) / 1000) * 1000,
      });
    }
    const since = Math.min(...[...states.values()].map((st) => st.position.ms - s.lateWindowMs));
    const refs = await this.changeLog.readPublishedSince(new Set(s.shards), since);
    for (const ref of refs) {
      const st = states.get(ref.shard);
      if (!st) continue;
      st.window.add(ref.eventId, ref.createTimeMs);
      const sec = Math.floor(ref.createTimeMs / 1000) * 1000;
      st.perSecond.set(sec, (st.perSecond.get(sec) ?? 0) + 1);
    }
    this.states = states;
    this.sessionId = randomUUID();
    this.seq = 0;
    this.lastCheckpointAt = 0;
    this.log.info("poller state rebuilt", {
      shards: s.shards,
      checkpointsFound: checkpoints.size,
      publishedIdsInWindow: refs.length,
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
    // Shards are read concurrently, each with its share of the batch budget. While a backlog drains,
    // the previous poll already started this fast read (prefetch) while its transaction committed.
    const share = Math.max(1, Math.ceil(s.maxBatchRows / states.size));
    const prefetched = await this.takePrefetch();
    const results = await Promise.all(
      [...states.values()].map(async (st) => {
        // The whole late window every lateSweepMs; in between, just its most recent part (rows that
        // missed the settle delay by a little are then published on the next poll, not seconds later).
        const due = s.lateWindowMs > 0 && started - st.lastSweepAt >= s.lateSweepMs;
        const sweepMs = due ? s.lateWindowMs : Math.min(s.recentSweepMs, s.lateWindowMs);
        const ahead = prefetched?.get(st.shard);
        const [late, fast] = await Promise.all([
          sweepMs > 0 ? this.sweepShard(st, share, sweepMs) : Promise.resolve([]),
          ahead
            ? Promise.resolve({ ...ahead, rows: ahead.rows.filter((r) => !st.window.has(r.id)) })
            : this.fastReadShard(st, st.position, upper, share),
        ]);
        return {
          ...fast,
          rows: [...late, ...fast.rows],
          swept: due,
          lateRows: late.length,
          rowsRead: fast.rowsRead + late.length,
        };
      }),
    );
    const publish = results.flatMap((r) => r.rows);
    const nextPositions = new Map(results.map((r) => [r.shard, r.position]));
    const swept = new Set(results.filter((r) => r.swept).map((r) => r.shard));
    const rowsRead = results.reduce((n, r) => n + r.rowsRead, 0);
    const lateRows = results.reduce((n, r) => n + r.lateRows, 0);
    const backlog = results.some((r) => r.cut);
    if (backlog) this.startPrefetch(states, nextPositions, share);

    // De-duplicate within the batch (a late row can be met by the sweep and the fast read in one poll).
    const unique = new Map(publish.map((p) => [p.id, p]));
    const messages: OutgoingMessage[] = [...unique.values()].map(({ row, id, createMs }) => ({
      key: messageKey(row),
      value: JSON.stringify(
        buildEnvelope({ row, keyspace: s.keyspace, table: s.table, writtenAtMs: createMs, nowMs: started }),
      ),
      headers: { [EVENT_ID_HEADER]: id },
    }));

    const readDone = this.clock();
    const checkpointDue = messages.length > 0 || started - this.lastCheckpointAt >= s.idleCheckpointMs;
    if (checkpointDue) {
      const seq = this.seq + 1;
      const checkpoints: OutgoingMessage[] = [...nextPositions].map(([shard, position]) => {
        const c: Checkpoint = { v: 1, shard, position, session: this.sessionId, seq, writtenAtMs: started };
        return { key: checkpointKey(shard), value: encodeCheckpoint(c) };
      });
      try {
        await this.changeLog.publish(messages, checkpoints, { beforeCommit: this.hooks.beforeCommit });
      } catch (err) {
        // Outcome unknown: forget the in-memory state; the next poll fences, reloads and rebuilds from Kafka.
        this.states = undefined;
        this.prefetch = undefined;
        throw err;
      }
      this.seq = seq;
      this.lastCheckpointAt = started;
    }

    const publishDone = this.clock();
    // Committed (or nothing to commit): advance in-memory state.
    for (const p of unique.values()) {
      const st = states.get(p.row.shard);
      if (!st) continue;
      st.window.add(p.id, p.createMs);
      const sec = Math.floor(p.createMs / 1000) * 1000;
      st.perSecond.set(sec, (st.perSecond.get(sec) ?? 0) + 1);
    }
    let beyondBound = 0;
    for (const st of states.values()) {
      st.position = nextPositions.get(st.shard) ?? st.position;
      if (swept.has(st.shard)) st.lastSweepAt = started;
      st.window.prune(st.position.ms - s.lateWindowMs);
      beyondBound += await this.audit(st);
    }
    this.totalBeyondBound += beyondBound;

    const published = [...unique.values()];
    const oldestTs = Math.min(...published.map((p) => p.row.ts ?? Number.POSITIVE_INFINITY));
    const oldestCreate = Math.min(...published.map((p) => p.createMs));
    return {
      rowsRead,
      lateRows,
      published: published.length,
      beyondBound,
      checkpointWritten: checkpointDue,
      backlog,
      durationMs: this.clock() - started,
      readMs: readDone - started,
      publishMs: publishDone - readDone,
      eventLagMs: Number.isFinite(oldestTs) ? started - oldestTs : undefined,
      ingestLagMs: Number.isFinite(oldestCreate) ? started - oldestCreate : undefined,
      positions: Object.fromEntries([...states.values()].map((st) => [st.shard, st.position.ms])),
    };
  }

  /** Sweep (late rows) and fast read (new rows) of one shard, at most `budget` rows. Reads only. */
  /** Look-back sweep of one shard: rows that became visible after the cursor passed them (within the bound). */
  private async sweepShard(st: ShardState, budget: number, windowMs: number): Promise<PendingRow[]> {
    const s = this.settings;
    const out: PendingRow[] = [];
    const to = st.position.ms;
    const from = to - windowMs;
    for (const bucket of bucketsBetween(from + 1, to, s.bucketMs)) {
      if (out.length >= budget) break;
      const ids = await this.lake.idsBetween(bucket, st.shard, from, to);
      const missing = ids
        .map((r) => r.createTime)
        .filter((u) => !st.window.has(eventId({ bucket, shard: st.shard, create_time: u })));
      if (missing.length === 0) continue;
      const rows = await this.lake.rowsByIds(bucket, st.shard, missing.slice(0, budget - out.length));
      for (const row of rows) out.push({ row, id: eventId(row), createMs: timeuuidToMs(row.create_time) });
    }
    return out;
  }

  /** Fast read of one shard: rows after `from`, bucket by bucket, at most `budget` rows. */
  private async fastReadShard(
    st: ShardState,
    from: ShardPosition,
    upper: number,
    budget: number,
  ): Promise<ShardRead> {
    const s = this.settings;
    const out: ShardRead = {
      shard: st.shard,
      rows: [],
      position: from,
      cut: false,
      swept: false,
      rowsRead: 0,
      lateRows: 0,
    };
    let position = from;
    for (const bucket of bucketsBetween(position.ms, upper, s.bucketMs)) {
      if (budget <= 0) {
        out.cut = true;
        break;
      }
      const after = position.kind === "row" ? { cursor: position.uuid } : { afterMs: position.ms };
      const rows = await this.lake.readAfter(bucket, st.shard, after, upper, budget);
      out.rowsRead += rows.length;
      for (const row of rows) {
        const id = eventId(row);
        if (!st.window.has(id)) out.rows.push({ row, id, createMs: timeuuidToMs(row.create_time) });
      }
      budget -= rows.length;
      const last = rows.at(-1);
      if (budget <= 0 && last) {
        position = { kind: "row", uuid: last.create_time, ms: timeuuidToMs(last.create_time) };
        out.cut = true;
        break;
      }
    }
    if (!out.cut && upper > position.ms) position = { kind: "time", ms: upper };
    out.position = position;
    return out;
  }

  /** Starts reading the next batch (fast read only, from the positions this batch will commit). */
  private startPrefetch(
    states: Map<number, ShardState>,
    from: Map<number, ShardPosition>,
    share: number,
  ): void {
    const upper = this.clock() - this.settings.settleMs;
    const promise = Promise.all(
      [...states.values()].map((st) =>
        this.fastReadShard(st, from.get(st.shard) ?? st.position, upper, share),
      ),
    ).then(
      (reads) => new Map(reads.map((r) => [r.shard, r])),
      () => undefined, // a failed prefetch is simply redone by the next poll
    );
    this.prefetch = { states, promise };
  }

  /** The prefetched next batch, if it was started from the state that is current now. */
  private async takePrefetch(): Promise<Map<number, ShardRead> | undefined> {
    const p = this.prefetch;
    this.prefetch = undefined;
    if (!p || p.states !== this.states) return undefined;
    return p.promise;
  }

  /**
   * Rows that become visible more than the late window after their create_time are not published
   * (the bound). They are never silent: each second of create_time is counted again in the lake once
   * it is `auditDelayMs` past the window, and any excess over what was published is reported.
   */
  private async audit(st: ShardState): Promise<number> {
    const s = this.settings;
    const auditBefore = st.position.ms - s.lateWindowMs - s.auditDelayMs;
    let found = 0;
    for (let n = 0; n < 5 && st.auditFrom + 1000 <= auditBefore; n++) {
      const sec = st.auditFrom;
      let inLake = 0;
      for (const bucket of bucketsBetween(sec, sec + 999, s.bucketMs)) {
        inLake += (await this.lake.idsBetween(bucket, st.shard, sec - 1, sec + 999)).length;
      }
      const published = st.perSecond.get(sec) ?? 0;
      if (inLake > published) {
        found += inLake - published;
        this.log.warn("rows beyond the late-row bound were not published", {
          shard: st.shard,
          second: new Date(sec).toISOString(),
          rowsInLake: inLake,
          rowsPublished: published,
          lateWindowMs: s.lateWindowMs,
          fix: "raise CDC_LATE_WINDOW_MS, then replay that second (see README, Operations)",
        });
      }
      st.perSecond.delete(sec);
      st.auditFrom = sec + 1000;
    }
    // Seconds that fell behind without an audit (e.g. a long pause) are skipped, not counted twice.
    for (const sec of st.perSecond.keys()) if (sec < st.auditFrom) st.perSecond.delete(sec);
    return found;
  }

  async close(): Promise<void> {
    this.states = undefined;
    await this.changeLog.disconnect();
  }
}
