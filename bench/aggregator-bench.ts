/**
 * Aggregator throughput benchmark: MSK-shaped events of 10,000 records (click 70 %, conversion,
 * qualified, unqualified 10 % each; ~2,000 jobs; bids 0.1–5.0) pushed through the real handler
 * against the real MariaDB, with the event-id guard on and off.
 *
 *   npm run bench:aggregator -- [batches=10] [recordsPerBatch=10000]
 *
 * Phases: guard on/off × one invocation at a time / two concurrent invocations on disjoint
 * partitions. Prints records/s (handler time only: building the events is the producer's cost),
 * a per-stage breakdown, the handler's peak heap, and the process's peak RSS. Goals: ≥ 50,000 records/s, < 256 MB. Writes rows for job ids
 * 2,000,000,000–2,000,001,999 and one fresh topic name per run (nothing else is touched).
 */
import { randomUUID } from "node:crypto";
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Logger } from "@aws-lambda-powertools/logger";
import type { MSKEvent, MSKRecord } from "aws-lambda";
import { createAggregatorHandler } from "../functions/aggregator/handler.js";
import { createMysqlPool } from "../lib/adapters/mysql/connection.js";
import { loadConfig } from "../lib/config/index.js";
import { buildEnvelope, EVENT_ID_HEADER } from "../lib/core/envelope.js";
import { eventId, type TrackingRow } from "../lib/core/tracking-row.js";
import type { BatchSummary } from "../lib/use-cases/apply-batch.js";

setFlagsFromString("--expose-gc");
/** Full GC before each timed batch, so the heap peak is the handler's, not leftovers of building events. */
const gc = runInNewContext("gc") as () => void;

const BATCHES = Number(process.argv[2] ?? 10);
const PER_BATCH = Number(process.argv[3] ?? 10_000);
const JOBS = 2_000;
const JOB_BASE = 2_000_000_000;
const TRACKS = [
  "click",
  "click",
  "click",
  "click",
  "click",
  "click",
  "click",
  "conversion",
  "qualified",
  "unqualified",
];

function row(now: number, lane: number, lanes: number): TrackingRow {
  // jobs of this lane: job % lanes === lane
  const job = JOB_BASE + Math.floor(Math.random() * (JOBS / lanes)) * lanes + lane;
  const track = TRACKS[Math.floor(Math.random() * TRACKS.length)] ?? "click";
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
function buildEvent(topic: string, n: number, offsets: number[], lane: number, lanes: number): MSKEvent {
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

const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: "jtp-bench-aggregator",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:jtp-bench-aggregator",
  memoryLimitInMB: "512",
  awsRequestId: "bench",
  logGroupName: "bench",
  logStreamName: "bench",
  getRemainingTimeInMillis: () => 600_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

interface Result {
  readonly guard: boolean;
  readonly lanes: number;
  readonly records: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50BatchMs: number;
  readonly maxBatchMs: number;
  readonly rowsPerBatch: number;
  /** Only meaningful with one lane (events built one at a time). */
  readonly peakHeapMiB: number | null;
  readonly validateMs: number;
  readonly lookupMs: number;
  readonly transactionMs: number;
}

/**
 * One phase. `lanes` = concurrent handler instances ("containers", each with its own pool), each
 * owning its own partitions, as an event source mapping runs one invocation per partition set.
 * With one lane each event is built right before its batch (untimed, then a full GC), so the heap
 * peak is the handler's; with several lanes all events are built first and only the wall time of
 * the concurrent handler calls counts.
 */
async function runPhase(guard: boolean, lanes: number): Promise<Result> {
  const base = loadConfig();
  const config = { ...base, aggregator: { ...base.aggregator, dedupByEventId: guard } };
  const topic = `bench_agg_${guard ? "guard" : "noguard"}_${lanes}_${Date.now().toString(36)}`;
  const laneState = Array.from({ length: lanes }, (_, lane) => {
    const pool = createMysqlPool(config, config.mysql.writer, {
      connectionLimit: config.aggregator.dbPoolSize,
    });
    const handler = createAggregatorHandler({
      config,
      pool,
      logger: new Logger({ serviceName: "bench", logLevel: "WARN" }),
    });
    return { lane, pool, handler, offsets: [0, 0] };
  });
  const eventFor = (lane: number, offsets: number[], n: number) => buildEvent(topic, n, offsets, lane, lanes);
  let peakHeap = 0;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
  }, 5);
  // pre-built events cost memory: at most 5 batches per lane when running lanes concurrently
  const batches = lanes === 1 ? BATCHES : Math.min(BATCHES, 5);
  const summaries: BatchSummary[] = [];
  const times: number[] = [];
  try {
    // warm-up: pools, ledger rows, job cache
    await Promise.all(laneState.map((l) => l.handler(eventFor(l.lane, l.offsets, 1_000), context)));
    const timed = async (l: (typeof laneState)[number], event: MSKEvent) => {
      const t0 = performance.now();
      const s = await l.handler(event, context);
      times.push(performance.now() - t0);
      if (s.applied !== PER_BATCH) throw new Error(`applied ${s.applied} of ${PER_BATCH}`);
      summaries.push(s);
    };
    let wallMs = 0;
    if (lanes === 1) {
      const l = laneState[0];
      if (l === undefined) throw new Error("no lane");
      for (let b = 0; b < batches; b++) {
        const event = eventFor(0, l.offsets, PER_BATCH);
        gc();
        peakHeap = 0;
        const t0 = performance.now();
        await timed(l, event);
        wallMs += performance.now() - t0;
      }
    } else {
      const events = laneState.map((l) =>
        Array.from({ length: batches }, () => eventFor(l.lane, l.offsets, PER_BATCH)),
      );
      gc();
      const t0 = performance.now();
      await Promise.all(
        laneState.map(async (l) => {
          for (const e of events[l.lane] ?? []) await timed(l, e);
        }),
      );
      wallMs = performance.now() - t0;
    }
    times.sort((a, b) => a - b);
    const records = batches * PER_BATCH * lanes;
    const avg = (f: (s: BatchSummary) => number) =>
      Math.round(summaries.reduce((a, s) => a + f(s), 0) / summaries.length);
    return {
      guard,
      lanes,
      records,
      seconds: wallMs / 1000,
      perSecond: Math.round(records / (wallMs / 1000)),
      p50BatchMs: Math.round(times[Math.floor(times.length / 2)] ?? 0),
      maxBatchMs: Math.round(times[times.length - 1] ?? 0),
      rowsPerBatch: avg((s) => s.rowsUpserted),
      peakHeapMiB: lanes === 1 ? Math.round(peakHeap / 2 ** 20) : null,
      validateMs: avg((s) => s.validateMs),
      lookupMs: avg((s) => s.lookupMs),
      transactionMs: avg((s) => s.transactionMs),
    };
  } finally {
    clearInterval(sampler);
    await Promise.all(laneState.map((l) => l.pool.end()));
  }
}

const results: Result[] = [];
for (const lanes of [1, 2]) for (const guard of [true, false]) results.push(await runPhase(guard, lanes));
const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(
  `aggregator bench: ${BATCHES} batches (at most 5 per invocation when concurrent) x ${PER_BATCH} records, ${JOBS} jobs, node ${process.version}, MariaDB on loopback`,
);
console.table(
  results.map((r) => ({
    "event-id guard": r.guard ? "on" : "off",
    "concurrent invocations": r.lanes,
    records: r.records,
    "wall s": r.seconds.toFixed(2),
    "records/s": r.perSecond,
    "p50 batch ms": r.p50BatchMs,
    "max batch ms": r.maxBatchMs,
    "rows upserted/batch": r.rowsPerBatch,
    "peak heap MiB": r.peakHeapMiB ?? "-",
    "avg validate/lookup/tx ms": `${r.validateMs}/${r.lookupMs}/${r.transactionMs}`,
  })),
);
console.log(
  `peak RSS of the whole process (all phases, pre-built events of the concurrent phases included): ${peakRssMiB} MiB`,
);
const single = results.filter((r) => r.lanes === 1);
const heapOk = single.every((r) => (r.peakHeapMiB ?? 0) < 256);
console.log(
  `single invocation: ${single.map((r) => `${r.perSecond} records/s (guard ${r.guard ? "on" : "off"})`).join(", ")}; ` +
    `goal >= 50,000 records/s ${single.every((r) => r.perSecond >= 50_000) ? "met" : "NOT met"}; ` +
    `handler heap < 256 MB ${heapOk ? "met" : "NOT met"}`,
);
