import type { HourBucketer } from "./time-bucket.js";

/**
 * Hourly aggregation at the grain (job_id, dates, hours, publisher_id, campaign_id, group_id).
 * Pure and exact: counts are integers, money is integer micro-units (BigInt), so merging two partial
 * aggregates gives exactly the aggregate of the union, in any order and grouping.
 */
export interface GrainKey {
  readonly jobId: number;
  readonly dates: string;
  readonly hours: number;
  readonly publisherId: number;
  readonly campaignId: number;
  readonly groupId: number;
}

export interface Measures {
  /** Count of `click`. */
  clicks: number;
  /** Sum of bid over clicks that carry a bid, in micro-units (1e-6). */
  spendMicros: bigint;
  /** Clicks that carry a bid (the divisor of bid_set = spend / bid_count). */
  bidCount: number;
  /** Count of `conversion`. */
  conversion: number;
  /** Count of `qualified`. */
  qualified: number;
  /** Count of `unqualified`. */
  disqualified: number;
  /** Records with any other (or no) custom_track: they add no measure, only this count. */
  otherTracks: number;
}

export interface AggregateRow extends GrainKey, Measures {}

/** The fields of a validated tracking row that aggregation reads. */
export interface AggregationInput {
  readonly job_id: number;
  readonly ts: number;
  readonly custom_track?: string | null | undefined;
  readonly bid?: number | null | undefined;
  readonly publisher_id?: number | null | undefined;
  readonly campaign_id?: number | null | undefined;
  readonly group_id?: number | null | undefined;
}

export type TrackKind = "click" | "conversion" | "qualified" | "unqualified" | "other";

export function trackKind(customTrack: string | null | undefined): TrackKind {
  switch (customTrack) {
    case "click":
    case "conversion":
    case "qualified":
    case "unqualified":
      return customTrack;
    default:
      return "other";
  }
}

/** One record's share of an aggregate row: its grain and its measures. */
export interface Contribution {
  readonly key: GrainKey;
  readonly keyString: string;
  readonly kind: TrackKind;
  /** Bid in micro-units when the record is a click with a bid, else null. */
  readonly bidMicros: bigint | null;
}

/** Exact micro-units of a bid: the float is rounded to the nearest micro (float32 noise disappears). */
export function bidToMicros(bid: number): bigint {
  return BigInt(Math.round(bid * 1_000_000));
}

/** Micro-units → exact DECIMAL text with 6 fractional digits, e.g. 1234567n → "1.234567". */
export function microsToDecimal(micros: bigint): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const whole = abs / 1_000_000n;
  const frac = (abs % 1_000_000n).toString().padStart(6, "0");
  return `${negative ? "-" : ""}${whole}.${frac}`;
}

export function grainKeyString(k: GrainKey): string {
  return `${k.jobId}|${k.dates}|${k.hours}|${k.publisherId}|${k.campaignId}|${k.groupId}`;
}

export function contributionOf(row: AggregationInput, bucketer: HourBucketer): Contribution {
  const { dates, hours } = bucketer(row.ts);
  const key: GrainKey = {
    jobId: row.job_id,
    dates,
    hours,
    publisherId: row.publisher_id ?? 0,
    campaignId: row.campaign_id ?? 0,
    groupId: row.group_id ?? 0,
  };
  const kind = trackKind(row.custom_track);
  return {
    key,
    keyString: grainKeyString(key),
    kind,
    bidMicros: kind === "click" && row.bid != null ? bidToMicros(row.bid) : null,
  };
}

/** The measures of a grain nothing has been counted in yet. */
export const NO_MEASURES: Readonly<Measures> = {
  clicks: 0,
  spendMicros: 0n,
  bidCount: 0,
  conversion: 0,
  qualified: 0,
  disqualified: 0,
  otherTracks: 0,
};

function emptyRow(key: GrainKey): AggregateRow {
  return { ...key, ...NO_MEASURES };
}

/** A set of aggregate rows keyed by grain. Mutable while it is being built; `rows()` reads it out. */
export class Aggregation {
  private readonly byKey = new Map<string, AggregateRow>();

  get size(): number {
    return this.byKey.size;
  }

  add(c: Contribution): this {
    let row = this.byKey.get(c.keyString);
    if (row === undefined) {
      row = emptyRow(c.key);
      this.byKey.set(c.keyString, row);
    }
    switch (c.kind) {
      case "click":
        row.clicks += 1;
        if (c.bidMicros !== null) {
          row.spendMicros += c.bidMicros;
          row.bidCount += 1;
        }
        break;
      case "conversion":
        row.conversion += 1;
        break;
      case "qualified":
        row.qualified += 1;
        break;
      case "unqualified":
        row.disqualified += 1;
        break;
      default:
        row.otherTracks += 1;
        break;
    }
    return this;
  }

  /** Adds every row of `other` into this one (exact; `other` is left unchanged). */
  merge(other: Aggregation): this {
    for (const [k, o] of other.byKey) {
      let row = this.byKey.get(k);
      if (row === undefined) {
        row = emptyRow(o);
        this.byKey.set(k, row);
      }
      row.clicks += o.clicks;
      row.spendMicros += o.spendMicros;
      row.bidCount += o.bidCount;
      row.conversion += o.conversion;
      row.qualified += o.qualified;
      row.disqualified += o.disqualified;
      row.otherTracks += o.otherTracks;
    }
    return this;
  }

  /** Rows sorted by grain in the order of the table's unique key (so concurrent upserts lock in one order). */
  rows(): AggregateRow[] {
    return [...this.byKey.values()].map((r) => ({ ...r })).sort(compareGrain);
  }
}

export function aggregate(contributions: Iterable<Contribution>): Aggregation {
  const agg = new Aggregation();
  for (const c of contributions) agg.add(c);
  return agg;
}

/** Orders grains like the unique key (job_id, dates, hours, publisher_id, campaign_id, group_id). */
export function compareGrain(a: GrainKey, b: GrainKey): number {
  return (
    a.jobId - b.jobId ||
    (a.dates < b.dates ? -1 : a.dates > b.dates ? 1 : 0) ||
    a.hours - b.hours ||
    a.publisherId - b.publisherId ||
    a.campaignId - b.campaignId ||
    a.groupId - b.groupId
  );
}
