/**
 * Integrity suite (opt-in; `--ci` for the CI-sized variant that .ci/run runs): the whole local
 * pipeline under generator load while faults are injected (kill -9 of the functions' process and of
 * the bridge, Kafka/Cassandra restarts, MariaDB down, duplicate and overlapping batches, poison
 * records, rows beyond the late bound), then a grain-by-grain comparison of the warehouse with ground
 * truth from Cassandra. Exits non-zero on any loss, double count, missing dead letter or crash.
 * Usage: npm run integrity -- [--ci] [--load 240] [--rate 500] [--db-down 30] [--kills 12] [--fuzzed 60] [--seed n]
 * The kill -9 moments are random; the seed is printed so a failing run can be replayed.
 */

import { runIntegrity } from "../infra/integrity/integrity-run.js";
import { dropIsolatedRun, isolatedRun } from "../infra/local/isolated-run.js";

const argv = process.argv;
const opt = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? Number(argv[i + 1]) : fallback;
};
const ci = argv.includes("--ci");
const say = (s: string) => console.log(`[integrity] ${s}`);

async function main(): Promise<number> {
  // 20 s: a Cassandra restart (~10-15 s of writer retries) stays inside the bound; rows written 28 s late do not.
  const lateWindowMs = 20_000;
  const { config, env } = isolatedRun("jtp_integrity", {
    CDC_LATE_WINDOW_MS: String(lateWindowMs),
    CDC_AUDIT_DELAY_MS: "20000",
  });
  if (config.localServers.length < 3)
    throw new Error("the integrity suite restarts the servers: it needs all three local");
  const seed = opt("seed", Date.now() % 2_147_483_647);
  const started = Date.now();
  const report = await runIntegrity(config, env, {
    loadSeconds: opt("load", ci ? 90 : 240),
    rate: opt("rate", ci ? 300 : 500),
    dbDownSeconds: opt("db-down", ci ? 10 : 30),
    lateWindowMs,
    quiescenceTimeoutSeconds: 180,
    seed,
    kills: opt("kills", ci ? 6 : 12),
    fuzzedRecords: opt("fuzzed", ci ? 24 : 60),
    say,
  });
  const ok =
    report.comparison.lost === 0 &&
    report.comparison.duplicated === 0 &&
    report.comparison.spendDiffCents === 0 &&
    report.deadLettered === report.poisonInjected &&
    report.beyondBoundReported === report.beyondBoundUnpublished &&
    report.componentsCrashed.length === 0;
  console.log("\n## Integrity report");
  console.log(`| measure | value |\n|---|---|`);
  const rows: Array<[string, string | number]> = [
    ["events generated", report.eventsGenerated],
    ["late events inside the bound", report.lateInsideBound],
    ["faults injected", `${report.faults.length}: ${report.faults.join("; ")}`],
    ["random seed of the kill moments", report.seed],
    ["aggregator invocations interrupted and retried", report.interruptedInvocations],
    ["poller invocations failed and restarted", report.pollerFailures],
    ["records redelivered (duplicate/overlapping batches)", report.duplicateRecordsRedelivered],
    [
      "poison records injected / dead-lettered",
      `${report.poisonInjected} / ${report.deadLettered} ${JSON.stringify(report.deadLetterReasons)}`,
    ],
    [
      "rows written beyond the late bound / not published / reported",
      `${report.beyondBoundWritten} / ${report.beyondBoundUnpublished} / ${report.beyondBoundReported}`,
    ],
    [
      "grains compared / differing",
      `${report.comparison.grainsCompared} / ${report.comparison.grainsDiffering}`,
    ],
    ["events lost", report.comparison.lost],
    ["events counted twice", report.comparison.duplicated],
    ["spend difference (cents)", report.comparison.spendDiffCents],
    [
      "recovery time after the last fault",
      report.recoverySeconds === undefined ? "did not converge" : `${report.recoverySeconds.toFixed(1)} s`,
    ],
    ["components left crashed", report.componentsCrashed.join(", ") || "none"],
    ["suite duration", `${Math.round((Date.now() - started) / 1000)} s`],
  ];
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  for (const e of report.comparison.examples) console.log(`  differs: ${e}`);
  console.log(`\nintegrity: ${ok ? "PASS" : "FAIL"}`);
  if (ok) await dropIsolatedRun(config);
  else
    say(
      `kept keyspace/database ${config.cassandra.keyspace} and logs in ${config.stateDir}/integrity for diagnosis`,
    );
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
