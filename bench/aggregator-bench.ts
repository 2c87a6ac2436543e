/**
 * Aggregator throughput benchmark: MSK-shaped events of 10,000 records (click 70 %, conversion,
 * qualified, unqualified 10 % each; ~2,000 jobs; bids 0.1–5.0) pushed through the real handler
 * against the real MariaDB, with the event-id guard on and off.
 *
 *   npm run bench:aggregator -- [batches=10] [recordsPerBatch=10000] [concurrency=1,2] [heapMiB=128]
 *
 * Each handler runs in its own Node process (aggregator-bench-worker.ts, bundled with esbuild as
 * for deployment) with the old-space heap capped (--max-old-space-size, default 128 MiB, about
 * what Node picks inside a 256 MB container), reading each event from a JSON file like the Lambda
 * runtime; only the handler calls are timed. Phases: guard on/off × one invocation at a time /
 * N concurrent invocations on disjoint partitions (an event source mapping runs one invocation
 * per partition set). Prints records/s (time inside the handler, and wall clock including reading
 * each event), a per-stage breakdown, and each worker's peak RSS/heap.
 * Goals: ≥ 50,000 records/s, < 256 MB. Writes facts for job ids 2,000,000,000–2,000,001,999 under
 * fresh topic names (nothing else is touched).
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { migrateMysql } from "../infra/migrate/migrate-mysql.js";
import { loadConfig } from "../lib/config/index.js";
import { buildEvent, JOBS } from "./aggregator-bench-events.js";
import type { WorkerJob, WorkerReport } from "./aggregator-bench-worker.js";
import { reportFailures, startNeededServers } from "./run-script.js";
import { positiveInt, positiveIntList, scriptProgram } from "./script-args.js";

const program = scriptProgram("bench:aggregator", "aggregator throughput through the real handler")
  .argument("[batches]", "batches per phase", positiveInt, 10)
  .argument("[recordsPerBatch]", "records per batch", positiveInt, 10_000)
  .argument("[concurrency]", "concurrent invocations to run, comma-separated", positiveIntList, [1, 2])
  .argument("[heapMiB]", "old-space heap cap of each worker (MiB)", positiveInt, 128)
  .parse();
const [BATCHES, PER_BATCH, CONCURRENCY, HEAP_MIB] = program.processedArgs as [
  number,
  number,
  number[],
  number,
];
/**
 * More V8 flags for the workers. Default: 8 MiB semi-spaces (young generation), the setting we
 * recommend for the function (NODE_OPTIONS): with V8's default 16 MiB the peak RSS is ~80 MiB
 * higher for the same throughput. BENCH_WORKER_FLAGS="" runs with V8's defaults.
 */
const EXTRA_FLAGS = (process.env.BENCH_WORKER_FLAGS ?? "--max-semi-space-size=8").split(" ").filter(Boolean);
const WORKER_SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), "aggregator-bench-worker.ts");

/** Bundles the worker like the deployment does (esbuild, ESM, node24), so it runs on plain Node. */
async function bundleWorker(dir: string): Promise<string> {
  const outfile = path.join(dir, "aggregator-bench-worker.mjs");
  await build({
    entryPoints: [WORKER_SOURCE],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    outfile,
    logLevel: "warning",
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  return outfile;
}

interface PhaseResult {
  readonly guard: boolean;
  readonly lanes: number;
  readonly records: number;
  readonly wallMs: number;
  readonly batchMs: number[];
  readonly reports: WorkerReport[];
}

async function runPhase(guard: boolean, lanes: number, dir: string, worker: string): Promise<PhaseResult> {
  const topic = `bench_agg_${guard ? "guard" : "noguard"}_${lanes}_${Date.now().toString(36)}`;
  const batches = lanes === 1 ? BATCHES : Math.min(BATCHES, 5);
  const workers = Array.from({ length: lanes }, (_, lane) => {
    const offsets = [0, 0];
    const file = (name: string, n: number) => {
      const f = path.join(dir, `${topic}-${lane}-${name}.json`);
      writeFileSync(f, JSON.stringify(buildEvent(topic, n, offsets, lane, lanes)));
      return f;
    };
    const job: WorkerJob = {
      guard,
      warmupFile: file("warmup", 1_000),
      files: Array.from({ length: batches }, (_, b) => file(String(b), PER_BATCH)),
      preload: lanes > 1,
    };
    const child = fork(worker, [], {
      // concurrent workers hold their pre-loaded events too: their memory is not measured
      execArgv: [`--max-old-space-size=${lanes === 1 ? HEAP_MIB : Math.max(HEAP_MIB, 768)}`, ...EXTRA_FLAGS],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const next = () =>
      new Promise<unknown>((resolve, reject) => {
        child.once("message", resolve);
        child.once("exit", (code) => code !== 0 && reject(new Error(`bench worker exited with ${code}`)));
      });
    child.send(job);
    return { child, next };
  });
  await Promise.all(workers.map((w) => w.next()));
  const t0 = performance.now();
  const done = workers.map((w) => w.next() as Promise<WorkerReport>);
  for (const w of workers) w.child.send({ go: true });
  const reports = await Promise.all(done);
  const wallMs = performance.now() - t0;
  for (const r of reports) {
    for (const s of r.summaries) {
      if (s.applied !== PER_BATCH) throw new Error(`a batch applied ${s.applied} of ${PER_BATCH}`);
    }
  }
  return {
    guard,
    lanes,
    records: batches * PER_BATCH * lanes,
    wallMs,
    batchMs: reports.flatMap((r) => r.batchMs).sort((a, b) => a - b),
    reports,
  };
}

reportFailures("bench:aggregator");
await startNeededServers(["mariadb"]);
// The workers write to the configured warehouse: make sure its schema is there (idempotent).
await migrateMysql(loadConfig(), () => undefined);
const dir = mkdtempSync(path.join(tmpdir(), "jtp-agg-bench-"));
const results: PhaseResult[] = [];
try {
  const worker = await bundleWorker(dir);
  for (const lanes of CONCURRENCY) {
    for (const guard of [true, false]) results.push(await runPhase(guard, lanes, dir, worker));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Records / time spent inside handler calls, for the lane that spent the most. */
function handlerRate(r: PhaseResult): number {
  const busiest = Math.max(...r.reports.map((x) => x.batchMs.reduce((a, b) => a + b, 0)));
  return Math.round(r.records / (busiest / 1000));
}

const avg = (r: PhaseResult, f: (s: WorkerReport["summaries"][number]) => number) => {
  const all = r.reports.flatMap((x) => x.summaries);
  return Math.round(all.reduce((a, s) => a + f(s), 0) / all.length);
};
console.log(
  `aggregator bench: ${PER_BATCH}-record batches (${BATCHES} per phase one at a time, 5 per invocation when concurrent), ` +
    `${JOBS} jobs, node ${process.version}, worker flags --max-old-space-size=${HEAP_MIB} ${EXTRA_FLAGS.join(" ")}, MariaDB on loopback`,
);
console.table(
  results.map((r) => ({
    "event-id guard": r.guard ? "on" : "off",
    "concurrent invocations": r.lanes,
    records: r.records,
    "wall s": (r.wallMs / 1000).toFixed(2),
    "records/s wall": Math.round(r.records / (r.wallMs / 1000)),
    "records/s in handler": handlerRate(r),
    "p50 batch ms": Math.round(r.batchMs[Math.floor(r.batchMs.length / 2)] ?? 0),
    "max batch ms": Math.round(r.batchMs[r.batchMs.length - 1] ?? 0),
    "rows upserted/batch": avg(r, (s) => s.rowsUpserted),
    "validate/claims/upserts/tx ms": `${avg(r, (s) => s.validateMs)}/${avg(r, (s) => s.claimMs)}/${avg(r, (s) => s.upsertMs)}/${avg(r, (s) => s.transactionMs)}`,
    "warm RSS MiB": Math.max(...r.reports.map((x) => x.warmRssMiB)),
    "peak RSS MiB": Math.max(...r.reports.map((x) => x.peakRssMiB)),
    "peak heap MiB": Math.max(...r.reports.map((x) => x.peakHeapMiB)),
  })),
);
const single = results.filter((r) => r.lanes === 1);
const wallRate = (r: PhaseResult) => Math.round(r.records / (r.wallMs / 1000));
const guardName = (r: PhaseResult) => `guard ${r.guard ? "on" : "off"}`;
console.log(
  "records/s wall: the whole phase, including reading and parsing each event file before the call (what the Lambda " +
    "runtime does before the handler); records/s in handler: records / time inside the handler calls (slowest lane).",
);
for (const r of single) {
  const rate = handlerRate(r);
  console.log(
    `one invocation at a time, ${guardName(r)}: ${rate} records/s in the handler (${wallRate(r)} wall); ` +
      `goal >= 50,000 records/s ${rate >= 50_000 ? "met" : "NOT met"}; ` +
      `peak RSS < 256 MB ${r.reports.every((x) => x.peakRssMiB < 256) ? "met" : "NOT met"}`,
  );
}
