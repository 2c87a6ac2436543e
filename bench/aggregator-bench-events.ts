/**
 * Benchmark events: MSK-shaped events of tracking change envelopes with a realistic mix (click 70 %,
 * conversion / qualified / unqualified 10 % each), ~2,000 jobs, bids 0.1–5.0, event times within
 * the last hour, full raw columns (~1.3 KB of JSON per record).
 */
import { randomUUID } from "node:crypto";
import type { MSKEvent, MSKRecord } from "aws-lambda";
import { pickTrack } from "../infra/tooling/generator/tracking-event-factory.js";
import { buildEnvelope, EVENT_ID_HEADER } from "../lib/core/envelope.js";
import { eventId, type TrackingRow } from "../lib/core/tracking-row.js";

export const JOBS = 2_000;
const JOB_BASE = 2_000_000_000;
function row(now: number, lane: number, lanes: number): TrackingRow {
  // jobs of this lane: job % lanes === lane
  const job = JOB_BASE + Math.floor(Math.random() * (JOBS / lanes)) * lanes + lane;
  const track = pickTrack(Math.random);
  const ts = now - Math.floor(Math.random() * 3_600_000);
  return {
    bucket: ts - (ts % 60_000),
    shard: Math.floor(Math.random() * 4),
    create_time: randomUUID(),
    job_id: job,
    custom_track: track,
    bid: track === "click" ? Math.fround(0.1 + Math.random() * 4.9) : null,
    campaign_id: job % 50,
    group_id: job % 10,
    publisher_id: 1 + Math.floor(Math.random() * 3),
    ts,
    bn: "Chrome 120",
    cd: 24,
    de: "UTF-8",
    dl: `https://jobs.example.test/jobs/${job}?utm_source=google`,
    dt: `Job ${job} - Software Engineer`,
    ed: "",
    ev: 2,
    id: randomUUID().slice(0, 8),
    md: "true",
    rl: "",
    sr: "1920x1080",
    tz: -420,
    ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    uid: `1-${randomUUID().slice(0, 8)}`,
    utm_campaign: "spring",
    utm_content: "banner",
    utm_medium: "cpc",
    utm_source: "google",
    utm_term: "engineer",
    v: 1,
    vp: "1280x720",
  };
}

/**
 * One event of `n` records for lane `lane` of `lanes`: partition = job % (2 × lanes), and a lane
 * owns two partitions (its jobs), offsets continuing from `offsets`.
 */
export function buildEvent(
  topic: string,
  n: number,
  offsets: number[],
  lane: number,
  lanes: number,
): MSKEvent {
  const now = Date.now();
  const records: Record<string, MSKRecord[]> = {};
  for (let i = 0; i < n; i++) {
    const r = row(now, lane, lanes);
    const local = Math.floor((r.job_id ?? 0) / lanes) % 2;
    const partition = lane * 2 + local;
    const offset = offsets[local] ?? 0;
    offsets[local] = offset + 1;
    const envelope = buildEnvelope({
      row: r,
      keyspace: "tracking_lake",
      table: "tracking",
      writtenAtMs: r.ts ?? now,
      nowMs: now,
    });
    const list = records[`${topic}-${partition}`] ?? [];
    records[`${topic}-${partition}`] = list;
    list.push({
      topic,
      partition,
      offset,
      timestamp: now,
      timestampType: "CREATE_TIME",
      key: Buffer.from(String(r.job_id)).toString("base64"),
      value: Buffer.from(JSON.stringify(envelope)).toString("base64"),
      headers: [{ [EVENT_ID_HEADER]: [...Buffer.from(eventId(r))] }],
    });
  }
  return {
    eventSource: "aws:kafka",
    eventSourceArn: "arn:aws:kafka:local",
    bootstrapServers: "127.0.0.1:9092",
    records,
  };
}
