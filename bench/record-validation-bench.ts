/**
 * Record validation micro-benchmark (CPU only, no database): validateRecord() over the aggregator
 * bench's 10,000-record event (our envelope), and over the same rows as Debezium Cassandra connector
 * events (cells, with and without the JSON converter's schema wrapper). Rounds alternate between the
 * variants, so machine load hits them alike; prints the best and median round of each.
 *
 *   npm exec -- tsx bench/record-validation-bench.ts [rounds=15] [--baseline <git revision>]
 *
 * --baseline also times lib/core/record-validation.ts as it was at that revision (materialised in a
 * temporary directory, importing today's other lib/core modules), for an A/B of the hot path.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { eventTimeBounds } from "../lib/core/change-event/event-time-bounds.js";
import type { KafkaRecord } from "../lib/core/kafka-record.js";
import { type RecordVerdict, type ValidationOptions, validateRecord } from "../lib/core/record-validation.js";
import { decodeKafkaEvent } from "../lib/kafka-event/decode-kafka-event.js";
import { buildEvent } from "./aggregator-bench-events.js";
import { positiveInt, scriptProgram } from "./script-args.js";

type Validate = (r: KafkaRecord, o: ValidationOptions) => RecordVerdict;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const program = scriptProgram(
  "record-validation-bench",
  "validateRecord() over 10,000 records, per envelope shape",
)
  .argument("[rounds]", "rounds per variant", positiveInt, 15)
  .option("--baseline <revision>", "also time lib/core/record-validation.ts as it was at this git revision")
  .parse();
const [rounds] = program.processedArgs as [number];
const baseline = program.opts<{ baseline?: string }>().baseline;

const ours = decodeKafkaEvent(buildEvent("bench", 10_000, [0, 0], 0, 1)).records;
const asDebezium = (withSchema: boolean) =>
  ours.map((r): KafkaRecord => {
    const env = JSON.parse(Buffer.from(r.value ?? "", "base64").toString()) as {
      payload: { after: Record<string, unknown>; ts_ms: number };
    };
    const after = Object.fromEntries(
      Object.entries(env.payload.after).map(([c, value]) => [c, { value, deletion_ts: null, set: true }]),
    );
    const event = {
      op: "i",
      ts_ms: env.payload.ts_ms,
      after,
      source: {
        version: "3.4.0.Final",
        connector: "cassandra",
        name: "cassandra_cdc",
        cluster: "c",
        snapshot: "false",
        keyspace: "k",
        table: "tracking",
        file: "CommitLog-7-1.log",
        pos: 1,
        ts_ms: 1,
      },
    };
    const value = withSchema ? { schema: { type: "struct" }, payload: event } : event;
    return { ...r, headers: [], value: Buffer.from(JSON.stringify(value)).toString("base64") };
  });

const options: ValidationOptions = {
  maxRecordBytes: 1 << 20,
  eventTime: eventTimeBounds(Date.now(), Date.UTC(2000, 0, 1), 3_600_000),
};
const variants: Array<[string, Validate, readonly KafkaRecord[], ValidationOptions]> = [
  ["our envelope", validateRecord, ours, options],
  ["Debezium, no schema", validateRecord, asDebezium(false), options],
  ["Debezium, with schema", validateRecord, asDebezium(true), options],
];

let tmp: string | undefined;
if (baseline !== undefined) {
  const source = execFileSync("git", ["show", `${baseline}:lib/core/record-validation.ts`], {
    cwd: ROOT,
    encoding: "utf8",
  });
  tmp = mkdtempSync(path.join(tmpdir(), "jtp-validation-"));
  const file = path.join(tmp, "record-validation.ts");
  const core = pathToFileURL(path.join(ROOT, "lib/core")).href;
  writeFileSync(file, source.replaceAll(/from "\.\//g, `from "${core}/`));
  const old = (await import(pathToFileURL(file).href)) as { validateRecord: Validate };
  variants.unshift([`our envelope, ${baseline}`, old.validateRecord, ours, { maxRecordBytes: 1 << 20 }]);
}

const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, validate, records, o] of variants) {
    const started = performance.now();
    for (const r of records) if (!validate(r, o).ok) throw new Error(`${name}: a bench record was rejected`);
    times.get(name)?.push(performance.now() - started);
  }
}
if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });

console.table(
  variants.map(([name, , records]) => {
    const t = [...(times.get(name) ?? [])].sort((a, b) => a - b);
    const best = t[0] ?? Number.NaN;
    const median = t[Math.floor(t.length / 2)] ?? Number.NaN;
    return {
      variant: name,
      records: records.length,
      "best ms": best.toFixed(1),
      "median ms": median.toFixed(1),
      "records/s (best)": Math.round(records.length / (best / 1000)),
      "records/s (median)": Math.round(records.length / (median / 1000)),
    };
  }),
);
