/**
 * Integrity suite (opt-in; `--ci` for the CI-sized variant that .ci/run runs): the whole local
 * pipeline under generator load while the fault plan (infra/integrity/fault-steps.ts) is injected
 * (kill -9 of the functions' process and of the bridge, Kafka/Cassandra restarts, MariaDB down,
 * duplicate and overlapping batches, poison records, rows beyond the late bound), then a
 * grain-by-grain comparison of the warehouse with ground truth from Cassandra. Exits non-zero on
 * any loss, double count, missing dead letter or crash. Starts the local servers if they are not running.
 * Usage: npm run integrity -- [--ci] [--load 240] [--rate 500] [--db-down 30] [--kills 12] [--fuzzed 60] [--seed n]
 * The kill -9 moments are random; the seed is printed so a failing run can be replayed.
 */

import { faultPlan } from "../infra/integrity/fault-steps.js";
import { integrityFailures, reportRows } from "../infra/integrity/integrity-report.js";
import { runIntegrity } from "../infra/integrity/integrity-run.js";
import { dropIsolatedRun, isolatedRun } from "../infra/local/isolated-run.js";
import { lookBackMs as lookBackOf } from "../lib/core/cdc/sweep-schedule.js";
import { runScript, startNeededServers } from "./run-script.js";
import { nonNegativeInt, positiveInt, scriptProgram } from "./script-args.js";

interface Args {
  ci: boolean;
  load?: number;
  rate?: number;
  dbDown?: number;
  kills?: number;
  fuzzed?: number;
  seed?: number;
}

const args = scriptProgram(
  "integrity",
  "the whole local pipeline under load and faults, checked against ground truth",
)
  .option(
    "--ci",
    "CI-sized: 90 s of load at 300 events/s, 6 kills, MariaDB down 10 s, 24 fuzzed records",
    false,
  )
  .option("--load <seconds>", "seconds of generator load (default 240; --ci 90)", positiveInt)
  .option("--rate <events/s>", "generator rate (default 500; --ci 300)", positiveInt)
  .option("--db-down <seconds>", "how long MariaDB stays down (default 30; --ci 10)", positiveInt)
  .option("--kills <n>", "kill -9s over poller, bridge and aggregator (default 12; --ci 6)", nonNegativeInt)
  .option("--fuzzed <n>", "fuzzed poison records (default 60; --ci 24)", nonNegativeInt)
  .option("--seed <n>", "seed of the kill moments (default: from the clock)", nonNegativeInt)
  .parse()
  .opts<Args>();
const say = (s: string) => console.log(`[integrity] ${s}`);

async function main(): Promise<number> {
  await startNeededServers(["cassandra", "kafka", "mariadb"]);
  // The poller's default sweeps: rows landing later than its look-back (writers retrying through
  // the Cassandra restart, the plan's rows written minutes late, a batch the event source mapping
  // gives up) are the final reconcile pass's, and every lake row must then be counted exactly once.
  const { config, env } = isolatedRun("jtp_integrity", { RECONCILE_VERIFY_TIMEOUT: "180s" });
  const lookBackMs = lookBackOf(config.cdc.sweeps);
  if (config.localServers.length < 3) {
    console.error(
      "integrity: the suite restarts the servers, so it needs all three local (JTP_LOCAL_SERVERS)",
    );
    return 1;
  }
  const interrupted = new AbortController();
  for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => interrupted.abort());
  const ci = args.ci;
  const options = {
    loadSeconds: args.load ?? (ci ? 90 : 240),
    rate: args.rate ?? (ci ? 300 : 500),
    dbDownSeconds: args.dbDown ?? (ci ? 10 : 30),
    lookBackMs,
    quiescenceTimeoutSeconds: 180,
    seed: args.seed ?? Date.now() % 2_147_483_647,
    kills: args.kills ?? (ci ? 6 : 12),
    fuzzedRecords: args.fuzzed ?? (ci ? 24 : 60),
    everyLakeRowCounted: true,
    signal: interrupted.signal,
    say,
  };
  const steps = faultPlan(options);
  say(
    `fault plan (seed ${options.seed}): ${steps.map((s) => ("at" in s.when ? `${Math.round(s.when.at * options.loadSeconds)}s ${s.name}` : `after settling: ${s.name}`)).join("; ")}`,
  );
  const started = Date.now();
  const report = await runIntegrity(config, env, options, steps);
  const failures = integrityFailures(report);
  console.log("\n## Integrity report");
  console.log(`| measure | value |\n|---|---|`);
  for (const [k, v] of reportRows(report, (Date.now() - started) / 1000)) console.log(`| ${k} | ${v} |`);
  for (const e of report.comparison?.examples ?? []) console.log(`  differs: ${e}`);
  for (const f of failures) console.log(`  FAILED: ${f}`);
  console.log(`\nintegrity: ${failures.length === 0 ? "PASS" : "FAIL"}`);
  if (failures.length === 0) await dropIsolatedRun(config);
  else
    say(
      `kept keyspace/database ${config.cassandra.keyspace} and logs in ${config.stateDir}/integrity for diagnosis`,
    );
  return failures.length === 0 ? 0 : 1;
}

runScript("integrity", main);
