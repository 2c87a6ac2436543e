#!/usr/bin/env -S npx tsx
import { Command } from "commander";
import { failureLine } from "../infra/cli/connection-failure.js";
import { localAwsCommand } from "../infra/cli/local-aws-command.js";
import { migrateAll } from "../infra/cli/migrate-command.js";
import { backfillCommand, deadLettersCommand } from "../infra/cli/operations-commands.js";
import { pollCommand } from "../infra/cli/poll-command.js";
import { reconcileCommand, replayCommand } from "../infra/cli/reconcile-commands.js";
import { installServers, serverStatus, startServers, stopServers } from "../infra/cli/servers-commands.js";
import { startCommand } from "../infra/cli/start-command.js";
import { statusCommand } from "../infra/cli/status-command.js";
import { PipelineError } from "../lib/errors.js";

const program = new Command("jtp").description(
  "job-tracking-pipeline: local servers, schemas and the pipeline",
);

const servers = program
  .command("servers")
  .description("real local Kafka, Cassandra and MariaDB on loopback (no Docker)");
servers
  .command("install")
  .argument("[names...]", "kafka, cassandra, mariadb (default: all local ones)")
  .description("fetch jars/packages if missing")
  .action(async (names: string[]) => installServers(names));
servers
  .command("start")
  .argument("[names...]", "kafka, cassandra, mariadb (default: all local ones)")
  .description("install if needed, start if not running, wait until healthy")
  .action(async (names: string[]) => {
    await startServers(names);
  });
servers
  .command("status")
  .description("state, health, pid and resident memory of each local server")
  .action(async () => {
    const all = await serverStatus();
    if (all.some((s) => s.running && !s.healthy)) process.exitCode = 1;
  });
servers
  .command("stop")
  .argument("[names...]", "kafka, cassandra, mariadb (default: all local ones)")
  .description("stop cleanly (SIGTERM, then SIGKILL after a grace period)")
  .action(async (names: string[]) => stopServers(names));

program
  .command("migrate")
  .description(
    "create/upgrade the Cassandra keyspace, MySQL schema and accounts, and Kafka topics (idempotent)",
  )
  .action(async () => migrateAll());

program
  .command("poll")
  .description("run the CDC poller locally (Cassandra → Kafka), as the scheduled function would")
  .option("--duration <seconds>", "stop after this many seconds (0 = until Ctrl-C)", "0")
  .option("--invocation <seconds>", "length of one simulated scheduled invocation", "60")
  .option(
    "--kill-before-commit <n>",
    "test only: SIGKILL this process after sending its n-th transaction with events, before committing it",
  )
  .action(async (o: { duration: string; invocation: string; killBeforeCommit?: string }) => {
    await pollCommand({
      durationSec: Number(o.duration),
      invocationSec: Number(o.invocation),
      ...(o.killBeforeCommit ? { killBeforeCommit: Number(o.killBeforeCommit) } : {}),
    });
    // Connections are closed; do not let a lingering client timer keep the process alive.
    process.exit(0);
  });

program
  .command("start")
  .description(
    "the main job: servers, migrations, serverless offline, poller, event source mapping bridge, generator, live status",
  )
  .option("--rate <events/s>", "generator rate", "200")
  .option("--duration <seconds>", "stop after this many seconds (0 = until Ctrl-C)", "0")
  .option("--no-generator", "do not generate events (process what arrives)")
  .option("--external", "use external servers only (same as JTP_LOCAL_SERVERS=none)")
  .option("--keep-servers", "leave the local servers running afterwards")
  .option("--late-fraction <0..1>", "fraction of events written late (out of order)", "0.01")
  .option(
    "--late-ms <ms>",
    "how late those events are (3 s: mostly beyond the poller's 1 s sweep, so the reconciler repairs them)",
    "3000",
  )
  .option("--batch-size <n>", "records per aggregator invocation (1..10000)", "100")
  .option(
    "--batching-window <ms>",
    "event source mapping batching window (0..300000; 0 like the dev stage, AWS's default is 500)",
    "0",
  )
  .action(
    async (o: {
      rate: string;
      duration: string;
      generator: boolean;
      external?: boolean;
      keepServers?: boolean;
      lateFraction: string;
      lateMs: string;
      batchSize: string;
      batchingWindow: string;
    }) =>
      startCommand({
        rate: Number(o.rate),
        durationSec: Number(o.duration),
        generator: o.generator,
        external: o.external === true,
        stopServers: o.keepServers !== true,
        lateFraction: Number(o.lateFraction),
        lateMs: Number(o.lateMs),
        batchSize: Number(o.batchSize),
        batchingWindowMs: Number(o.batchingWindow),
      }),
  );

program
  .command("status")
  .description("latest hours in the warehouse and pipeline health (read-only account)")
  .option("--hours <n>", "how many hours to show", "6")
  .action(async (o: { hours: string }) => statusCommand(Number(o.hours)));

program
  .command("backfill-companies")
  .description("fill events.company_id where the job dimension row arrived after the aggregates")
  .action(async () => backfillCommand());

program
  .command("dead-letters")
  .description("summarise and list dead-lettered records (reason, source topic-partition@offset)")
  .option("--limit <n>", "how many to list", "20")
  .option("--payload", "also print the start of each raw payload")
  .action(async (o: { limit: string; payload?: boolean }) =>
    deadLettersCommand(Number(o.limit), o.payload === true),
  );

program
  .command("reconcile")
  .description(
    "compare the lake with what the warehouse accounted for, partition by partition, and re-publish what is missing (exactly once through the event-id guard)",
  )
  .option("--from <iso>", "ingest-time start (default: the oldest bucket inside RECONCILE_HORIZON)")
  .option("--to <iso>", "ingest-time end, exclusive (default: now; buckets still streaming are skipped)")
  .option("--dry-run", "compare and report only; publish nothing")
  .option("--no-wait", "do not wait for the aggregator to apply what was re-published")
  .option("--json", "also print the pass report as JSON")
  .action(async (o: { from?: string; to?: string; dryRun?: boolean; wait: boolean; json?: boolean }) => {
    await reconcileCommand({
      ...(o.from ? { from: o.from } : {}),
      ...(o.to ? { to: o.to } : {}),
      dryRun: o.dryRun === true,
      wait: o.wait,
      json: o.json === true,
    });
  });

program
  .command("replay")
  .description(
    "re-publish every lake row of an ingest-time range (inside RECONCILE_HORIZON), or --rebuild the warehouse hours of a range from the lake (any age)",
  )
  .requiredOption("--from <iso>", "range start (ingest time; with --rebuild: event-time hour start)")
  .requiredOption("--to <iso>", "range end, exclusive")
  .option("--shards <list>", 'shards to replay: "all" or e.g. 0,1,4-7', "all")
  .option(
    "--rebuild",
    "replace the warehouse hours [from, to) (whole hours, event time) with aggregates recomputed from the lake, in one transaction",
  )
  .option(
    "--max-lateness <ms>",
    "with --rebuild: include rows ingested up to this long after --to",
    "3600000",
  )
  .action(async (o: { from: string; to: string; shards: string; rebuild?: boolean; maxLateness: string }) => {
    const maxLatenessMs = Number(o.maxLateness);
    if (!Number.isInteger(maxLatenessMs) || maxLatenessMs < 0) {
      throw new Error(`--max-lateness "${o.maxLateness}" must be a whole number of milliseconds >= 0`);
    }
    await replayCommand({
      from: o.from,
      to: o.to,
      shards: o.shards,
      rebuild: o.rebuild === true,
      maxLatenessMs,
    });
  });

program
  .command("local-aws")
  .description("local schedule + Kafka event source mapping bridge against a running `serverless offline`")
  .option("--batch-size <n>", "records per aggregator invocation (1..10000)", "100")
  .option("--batching-window <ms>", "batching window (0..300000)", "500")
  .option("--no-schedule", "do not invoke the poller")
  .option(
    "--ready-file <path>",
    "write this file (JSON: pid) once running and SIGUSR2 is handled (integrity suite)",
  )
  .action(async (o: { batchSize: string; batchingWindow: string; schedule: boolean; readyFile?: string }) =>
    localAwsCommand({
      batchSize: Number(o.batchSize),
      batchingWindowMs: Number(o.batchingWindow),
      schedule: o.schedule,
      ...(o.readyFile ? { readyFile: o.readyFile } : {}),
    }),
  );

program.parseAsync(process.argv).catch((err: unknown) => {
  const unreachable = failureLine("jtp", err);
  if (unreachable) console.error(unreachable);
  else if (err instanceof PipelineError) console.error(`error ${err.code}: ${err.message}`);
  else console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
