import { bucketStart } from "../../lib/core/cdc/buckets.js";
import { timeuuidToMs } from "../../lib/core/cdc/timeuuid.js";
import type { TrackingRow } from "../../lib/core/tracking-row.js";
import type { LakeReader } from "../../lib/use-cases/cdc/poller-ports.js";

/**
 * In-memory lake with Cassandra's semantics for the `tracking` table: partitions (bucket, shard),
 * clustered by create_time (timeuuid) ascending in Cassandra's TimeUUIDType order (timestamp first,
 * then the clock-seq-and-node bytes compared as signed bytes). A row is visible from the moment it is
 * inserted, so inserting "behind" a poller's cursor is how a late-landing write is simulated.
 */

const GREGORIAN_OFFSET_MS = 12_219_292_800_000n;
const TICKS_PER_MS = 10_000n;

/** A version-1 UUID string for epoch ms `ms`: `sub` 100-ns ticks into that ms (0..9999), `lsb` = clock seq + node. */
export function timeuuidAt(ms: number, sub = 0, lsb = 0x8000_0000_0000_0000n): string {
  if (!Number.isInteger(ms) || !Number.isInteger(sub) || sub < 0 || sub > 9_999)
    throw new Error(`timeuuidAt(${ms}, ${sub}): ms must be an integer and sub in 0..9999`);
  const ticks = (BigInt(ms) + GREGORIAN_OFFSET_MS) * TICKS_PER_MS + BigInt(sub);
  const hex = (v: bigint, width: number) => v.toString(16).padStart(width, "0");
  const timeLow = hex(ticks & 0xffff_ffffn, 8);
  const timeMid = hex((ticks >> 32n) & 0xffffn, 4);
  const timeHi = hex((ticks >> 48n) & 0x0fffn, 3);
  // RFC 9562 variant bits (10xx) in the clock sequence's top byte.
  const clockAndNode = (lsb & 0x3fff_ffff_ffff_ffffn) | 0x8000_0000_0000_0000n;
  const tail = hex(clockAndNode, 16);
  return `${timeLow}-${timeMid}-1${timeHi}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}

/** Hands out distinct timeuuids: a per-millisecond counter, so up to 10 000 rows can share one ms. */
export class TimeuuidFactory {
  private readonly used = new Map<number, number>();

  next(ms: number): string {
    const n = this.used.get(ms) ?? 0;
    this.used.set(ms, n + 1);
    return timeuuidAt(ms, n);
  }
}

interface Parsed {
  readonly ticks: bigint;
  /** The low 8 bytes, each taken as a signed byte (Cassandra compares them so). */
  readonly lsb: readonly number[];
}

function parse(uuid: string): Parsed {
  timeuuidToMs(uuid); // throws unless version 1
  const hex = uuid.replace(/-/g, "");
  const ticks = BigInt(`0x${hex.slice(13, 16)}${hex.slice(8, 12)}${hex.slice(0, 8)}`);
  const lsb = Array.from({ length: 8 }, (_, i) => {
    const b = Number.parseInt(hex.slice(16 + 2 * i, 18 + 2 * i), 16);
    return b > 127 ? b - 256 : b;
  });
  return { ticks, lsb };
}

/** Cassandra's TimeUUIDType order: negative when a sorts before b. */
export function compareTimeuuid(a: string, b: string): number {
  return compareParsed(parse(a), parse(b));
}

function compareParsed(a: Parsed, b: Parsed): number {
  if (a.ticks !== b.ticks) return a.ticks < b.ticks ? -1 : 1;
  for (let i = 0; i < 8; i++) {
    const d = (a.lsb[i] ?? 0) - (b.lsb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** CQL maxTimeuuid(ms): the greatest timeuuid of that millisecond. */
function maxTimeuuid(ms: number): Parsed {
  return {
    ticks: (BigInt(ms) + GREGORIAN_OFFSET_MS) * TICKS_PER_MS + (TICKS_PER_MS - 1n),
    lsb: [127, 127, 127, 127, 127, 127, 127, 127],
  };
}

export type LakeCall =
  | {
      readonly method: "readAfter";
      readonly bucket: number;
      readonly shard: number;
      readonly after: { cursor: string } | { afterMs: number };
      readonly untilMs: number;
      readonly limit: number;
      readonly returned: number;
    }
  | {
      readonly method: "idsBetween";
      readonly bucket: number;
      readonly shard: number;
      readonly afterMs: number;
      readonly untilMs: number;
      readonly returned: number;
    }
  | {
      readonly method: "rowsByIds";
      readonly bucket: number;
      readonly shard: number;
      readonly asked: number;
      readonly returned: number;
    };

interface Stored {
  readonly row: TrackingRow;
  readonly key: Parsed;
}

export interface FakeLakeOptions {
  readonly bucketMs: number;
  /** Shared event trace: each call appends `lake <method> …` (to order reads against commits). */
  readonly trace?: string[];
}

export class FakeLake implements LakeReader {
  readonly uuids = new TimeuuidFactory();
  /** Every call, in order, with how many rows (or ids) it returned. */
  readonly calls: LakeCall[] = [];
  /** Fails the next read (any method) with this error. */
  failNextRead: (() => Error) | undefined;
  private readonly partitions = new Map<string, Stored[]>();
  private readonly bucketMs: number;
  private readonly trace: string[] | undefined;

  constructor(options: FakeLakeOptions) {
    this.bucketMs = options.bucketMs;
    this.trace = options.trace;
  }

  /** Makes a row visible now (create_time in ms `ms`, any time relative to the readers' cursors). */
  insert(shard: number, ms: number, fields: Partial<TrackingRow> = {}): TrackingRow {
    const create_time = fields.create_time ?? this.uuids.next(ms);
    const row: TrackingRow = {
      ...emptyRow(),
      job_id: 1,
      ts: timeuuidToMs(create_time),
      ...fields,
      bucket: bucketStart(timeuuidToMs(create_time), this.bucketMs),
      shard,
      create_time,
    };
    const list = this.partition(row.bucket, shard);
    const key = parse(create_time);
    if (list.some((s) => compareParsed(s.key, key) === 0))
      throw new Error(`duplicate create_time ${create_time}`);
    // Insert in clustering order (binary search: inserts are often appends).
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const at = list[mid];
      if (at && compareParsed(at.key, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, { row, key });
    return row;
  }

  /** `count` rows of one shard sharing millisecond `ms`. */
  insertMany(shard: number, ms: number, count: number): TrackingRow[] {
    return Array.from({ length: count }, () => this.insert(shard, ms));
  }

  /** Every row of the lake, partition by partition in clustering order. */
  allRows(): TrackingRow[] {
    return [...this.partitions.values()].flatMap((l) => l.map((s) => s.row));
  }

  /** Rows and ids returned by every call so far (what the poller should count as read). */
  get rowsReturned(): number {
    return this.calls.reduce((n, c) => n + c.returned, 0);
  }

  callsOf<M extends LakeCall["method"]>(method: M): Array<Extract<LakeCall, { method: M }>> {
    return this.calls.filter((c): c is Extract<LakeCall, { method: M }> => c.method === method);
  }

  async readAfter(
    bucket: number,
    shard: number,
    after: { cursor: string } | { afterMs: number },
    untilMs: number,
    limit: number,
  ): Promise<TrackingRow[]> {
    this.maybeFail();
    if (!Number.isInteger(limit) || limit <= 0)
      throw new Error(`LIMIT must be strictly positive (got ${limit})`);
    const lower = "cursor" in after ? parse(after.cursor) : maxTimeuuid(after.afterMs);
    const upper = maxTimeuuid(untilMs);
    const out: TrackingRow[] = [];
    for (const s of this.partition(bucket, shard)) {
      if (out.length >= limit) break;
      if (compareParsed(s.key, lower) > 0 && compareParsed(s.key, upper) <= 0) out.push(s.row);
    }
    this.record({ method: "readAfter", bucket, shard, after, untilMs, limit, returned: out.length });
    return out;
  }

  async idsBetween(
    bucket: number,
    shard: number,
    afterMs: number,
    untilMs: number,
  ): Promise<Array<{ createTime: string; createTimeMs: number }>> {
    this.maybeFail();
    const lower = maxTimeuuid(afterMs);
    const upper = maxTimeuuid(untilMs);
    const out = this.partition(bucket, shard)
      .filter((s) => compareParsed(s.key, lower) > 0 && compareParsed(s.key, upper) <= 0)
      .map((s) => ({ createTime: s.row.create_time, createTimeMs: timeuuidToMs(s.row.create_time) }));
    this.record({ method: "idsBetween", bucket, shard, afterMs, untilMs, returned: out.length });
    return out;
  }

  async rowsByIds(bucket: number, shard: number, createTimes: readonly string[]): Promise<TrackingRow[]> {
    this.maybeFail();
    const wanted = createTimes.map(parse);
    // IN returns each matching row once, in clustering order.
    const out = this.partition(bucket, shard)
      .filter((s) => wanted.some((w) => compareParsed(w, s.key) === 0))
      .map((s) => s.row);
    this.record({ method: "rowsByIds", bucket, shard, asked: createTimes.length, returned: out.length });
    return out;
  }

  private partition(bucket: number, shard: number): Stored[] {
    const k = `${bucket}/${shard}`;
    let list = this.partitions.get(k);
    if (!list) {
      list = [];
      this.partitions.set(k, list);
    }
    return list;
  }

  private maybeFail(): void {
    const failure = this.failNextRead;
    this.failNextRead = undefined;
    if (failure) throw failure();
  }

  private record(call: LakeCall): void {
    this.calls.push(call);
    this.trace?.push(`lake ${call.method} shard ${call.shard} returned ${call.returned}`);
  }
}

function emptyRow(): Omit<TrackingRow, "bucket" | "shard" | "create_time"> {
  return {
    job_id: null,
    custom_track: null,
    bid: null,
    campaign_id: null,
    group_id: null,
    publisher_id: null,
    ts: null,
    bn: null,
    cd: null,
    de: null,
    dl: null,
    dt: null,
    ed: null,
    ev: null,
    id: null,
    md: null,
    rl: null,
    sr: null,
    tz: null,
    ua: null,
    uid: null,
    utm_campaign: null,
    utm_content: null,
    utm_medium: null,
    utm_source: null,
    utm_term: null,
    v: null,
    vp: null,
  };
}
