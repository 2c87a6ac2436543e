#!/usr/bin/env -S npx tsx
import { Command } from "commander";
import { migrateAll } from "../infra/cli/migrate-command.js";
import { pollCommand } from "../infra/cli/poll-command.js";
import { installServers, serverStatus, startServers, stopServers } from "../infra/cli/servers-commands.js";
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
  .action(async (o: { duration: string; invocation: string }) =>
    pollCommand(Number(o.duration), Number(o.invocation)),
  );

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof PipelineError) console.error(`error ${err.code}: ${err.message}`);
  else console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
