import type { TrackingRow } from "../../../lib/core/tracking-row.js";
import { intBetween, pick, type Rng } from "./random.js";

export type NewEvent = Omit<TrackingRow, "bucket" | "shard" | "create_time">;

/** The realistic track mix of DESIGN.md: click 70%, conversion 10%, qualified 10%, unqualified 10%. */
export const TRACK_MIX: ReadonlyArray<readonly [string, number]> = [
  ["click", 0.7],
  ["conversion", 0.1],
  ["qualified", 0.1],
  ["unqualified", 0.1],
];

export interface Catalogue {
  /** job_id → its group and campaign (what the job dimension says). */
  readonly jobs: ReadonlyArray<{
    readonly jobId: number;
    readonly groupId: number;
    readonly campaignId: number;
  }>;
  readonly publisherIds: readonly number[];
}

/** The mix as a cycle of 10 tracks (click ×7, conversion, qualified, unqualified) for rows made by index. */
const TRACK_CYCLE: readonly string[] = TRACK_MIX.flatMap(([track, p]) =>
  Array.from({ length: Math.round(p * 10) }, () => track),
);

/** The track of row `i` of a deterministic data set: the mix, in a fixed order. */
export function trackAt(i: number): string {
  return TRACK_CYCLE[i % TRACK_CYCLE.length] ?? "click";
}

export function pickTrack(rng: Rng): string {
  let r = rng();
  for (const [track, p] of TRACK_MIX) {
    if (r < p) return track;
    r -= p;
  }
  return "click";
}

const BROWSERS = ["Chrome 120", "Safari 17", "Firefox 121", "Edge 120"];
const SOURCES = ["google", "facebook", "linkedin", "newsletter", "direct"];

/** One tracking event as the ad front end writes it (event time `ts` = `nowMs`). Bids are cents. */
export function randomTrackingEvent(rng: Rng, catalogue: Catalogue, nowMs: number): NewEvent {
  const job = pick(rng, catalogue.jobs);
  const track = pickTrack(rng);
  return {
    job_id: job.jobId,
    custom_track: track,
    bid: track === "click" ? intBetween(rng, 10, 500) / 100 : null,
    campaign_id: job.campaignId,
    group_id: job.groupId,
    publisher_id: pick(rng, catalogue.publisherIds),
    ts: nowMs,
    bn: pick(rng, BROWSERS),
    cd: 24,
    de: "UTF-8",
    dl: `https://jobs.example.test/job/${job.jobId}`,
    dt: `Job ${job.jobId}`,
    ed: null,
    ev: 2,
    id: null,
    md: "false",
    rl: null,
    sr: "1920x1080",
    tz: -420,
    ua: "Mozilla/5.0",
    uid: `u-${intBetween(rng, 1, 1_000_000)}`,
    utm_campaign: `c${job.campaignId}`,
    utm_content: null,
    utm_medium: "cpc",
    utm_source: pick(rng, SOURCES),
    utm_term: null,
    v: 1,
    vp: "1280x720",
  };
}

/** A catalogue of `jobCount` jobs spread over companies, groups, campaigns and publishers. */
export function buildCatalogue(jobCount: number, publisherCount = 20): Catalogue {
  const jobs = Array.from({ length: jobCount }, (_, i) => ({
    jobId: 1000 + i,
    groupId: 1 + (i % 37),
    campaignId: 1 + (i % 101),
  }));
  return { jobs, publisherIds: Array.from({ length: publisherCount }, (_, i) => 1 + i) };
}
