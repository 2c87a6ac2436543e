/**
 * One row of the Cassandra `tracking` table as the pipeline carries it (JSON-safe: timeuuid as its
 * string form, timestamps as epoch milliseconds). Column names are the lake's.
 */
export interface TrackingRow {
  /** Start of the ingest-time bucket, epoch ms (partition key part 1). */
  readonly bucket: number;
  /** Write-spreading shard (partition key part 2). */
  readonly shard: number;
  /** Row id and clustering key: a version-1 (time-based) UUID, string form. */
  readonly create_time: string;
  readonly job_id: number | null;
  readonly custom_track: string | null;
  readonly bid: number | null;
  readonly campaign_id: number | null;
  readonly group_id: number | null;
  readonly publisher_id: number | null;
  /** Event time, epoch ms: what reporting hours are computed from. */
  readonly ts: number | null;
  readonly bn: string | null;
  readonly cd: number | null;
  readonly de: string | null;
  readonly dl: string | null;
  readonly dt: string | null;
  readonly ed: string | null;
  readonly ev: number | null;
  readonly id: string | null;
  readonly md: string | null;
  readonly rl: string | null;
  readonly sr: string | null;
  readonly tz: number | null;
  readonly ua: string | null;
  readonly uid: string | null;
  readonly utm_campaign: string | null;
  readonly utm_content: string | null;
  readonly utm_medium: string | null;
  readonly utm_source: string | null;
  readonly utm_term: string | null;
  readonly v: number | null;
  readonly vp: string | null;
}

/** Raw (non-key, non-measure) columns carried through untouched. */
export const RAW_TEXT_COLUMNS = [
  "bn",
  "de",
  "dl",
  "dt",
  "ed",
  "id",
  "md",
  "rl",
  "sr",
  "ua",
  "uid",
  "utm_campaign",
  "utm_content",
  "utm_medium",
  "utm_source",
  "utm_term",
  "vp",
] as const;
export const RAW_INT_COLUMNS = ["cd", "ev", "tz", "v"] as const;

/** Every column of the lake table, in DDL order. */
export const TRACKING_COLUMNS = [
  "bucket",
  "shard",
  "create_time",
  "job_id",
  "custom_track",
  "bid",
  "campaign_id",
  "group_id",
  "publisher_id",
  "ts",
  ...RAW_TEXT_COLUMNS,
  ...RAW_INT_COLUMNS,
] as const satisfies ReadonlyArray<keyof TrackingRow>;

/** Stable id of a lake row: its full primary key. Same row → same id, whoever reads it. */
export function eventId(row: Pick<TrackingRow, "bucket" | "shard" | "create_time">): string {
  return `${row.bucket}/${row.shard}/${row.create_time}`;
}

/** Inverse of eventId(); undefined for a string that is not one. */
export function parseEventId(id: string): { bucket: number; shard: number; create_time: string } | undefined {
  const m = /^(-?\d+)\/(\d+)\/([0-9a-f-]{36})$/.exec(id);
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  return { bucket: Number(m[1]), shard: Number(m[2]), create_time: m[3] };
}
