import { type ChildProcess, spawn } from "node:child_process";
import type { Pool } from "mysql2/promise";
import { createReconciler } from "../../functions/reconciler/dependencies.js";
import { type CassandraClient, createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import { createMysqlPool } from "../../lib/adapters/mysql/connection.js";
import type { Config } from "../../lib/config/index.js";
import { bucketsBetween } from "../../lib/core/cdc/buckets.js";
import { trackingTopic } from "../../lib/schema-names.js";
import type { Log } from "../../lib/use-cases/ports/log.js";
import { type PassReport, reconcilePass } from "../../lib/use-cases/reconcile/reconcile-pass.js";
import { migrateAll } from "../cli/migrate-command.js";
import { PROJECT_ROOT } from "../servers/project-paths.js";
import { selectServers } from "../servers/registry.js";
import { TrackingWriter } from "../tooling/cassandra/tracking-writer.js";
import { companyOf } from "../tooling/generator/run-generator.js";
import { buildCatalogue, type Catalogue } from "../tooling/generator/tracking-event-factory.js";
import { WeightedLatency } from "../tooling/metrics/count-watermark-freshness.js";
import { AppliedEvents } from "../tooling/mysql/applied-events.js";
import { seedDimensions } from "../tooling/mysql/dimension-seeder.js";
import { WarehouseStatus } from "../tooling/mysql/warehouse-status.js";
import { warmAggregatorInstances } from "./aggregator-warmup.js";
import { bridgeKafka } from "./bridge-kafka.js";
import { KafkaEsmBridge } from "./kafka-esm-bridge.js";
import { warmKafkaCoordinators } from "./kafka-warmup.js";
import { type Invoker, lambdaInvoker } from "./lambda-invoker.js";
import { LocalScheduler } from "./local-scheduler.js";
import {
  OFFLINE_LAMBDA_ENDPOINT,
  offlineFunctionName,
  startServerlessOffline,
} from "./serverless-offline-process.js";

/** Start does not wait longer than this for the bridge's first group join (it says so and goes on). */
const BRIDGE_JOIN_NOTICE_MS = 30_000;

export interface LocalPipelineOptions {
  /** Records per aggregator invocation (AWS default 100, max 10,000). */
  readonly batchSize: number;
  /** Batching window of the local event source mapping, ms (AWS default 500; 0 = none). */
  readonly batchingWindowMs: number;
  readonly jobs: number;
  /**
   * 0 (default): the schedule stand-in invokes the poller function in serverless offline. N > 0: N
   * separate poller processes (`jtp poll`), the lake's shards split between them (CDC_SHARDS_OWNED),
   * as a deployment with one scheduled function per shard group would run (scale-out).
   */
  readonly pollerProcesses?: number;
  /** Aggregator invocations in flight at once (default: one per partition, as Lambda does). */
  readonly maxConcurrentInvocations?: number;
  /** Pause between two reconciler invocations, ms (default 30 s; 0 = no reconciler schedule). */
  readonly reconcileEveryMs?: number;
}

/** What the poller's invocations reported (summed), for rows read per row published. */
export interface PollerTotals {
  invocations: number;
  rowsRead: number;
  published: number;
}

/** What the reconciler's passes reported (summed). */
export interface ReconcileTotals {
  passes: number;
  missingFound: number;
  republished: number;
  driftLeft: number;
}

/**
 * The whole pipeline on this machine: local servers (if configured), migrations, dimension seed,
 * serverless-offline running the three functions, schedule stand-ins invoking the poller (back to
 * back) and the reconciler (every `reconcileEveryMs`), and the Kafka event-source-mapping bridge
 * invoking the aggregator. Stops exactly what it started.
 */
export class LocalPipeline {
  readonly catalogue: Catalogue;
  /** Per applied record: now − its batch's oldest event time, as the aggregator reports after commit (an upper bound). */
  readonly appliedFreshness = new WeightedLatency();
  scheduler: LocalScheduler | undefined;
  reconcileScheduler: LocalScheduler | undefined;
  /** Sums of the poller's invocation summaries (scheduled poller function only). */
  readonly pollerTotals: PollerTotals = { invocations: 0, rowsRead: 0, published: 0 };
  /** Sums of the reconciler's passes (scheduled and reconcileNow). */
  readonly reconcileTotals: ReconcileTotals = { passes: 0, missingFound: 0, republished: 0, driftLeft: 0 };
  bridge: KafkaEsmBridge | undefined;
  warehouse: WarehouseStatus | undefined;
  /** Which events the aggregator applied and when (per-event freshness). */
  appliedEvents: AppliedEvents | undefined;
  private offline:
    | { stop: () => Promise<void>; logFile: string; child: { pid?: number | undefined } }
    | undefined;
  private startedServers: string[] = [];
  private pollers: ChildProcess[] = [];
  private readerPool: Pool | undefined;
  private lakeClient: CassandraClient | undefined;

  constructor(
    private readonly config: Config,
    private readonly options: LocalPipelineOptions,
    private readonly log: Log,
    private readonly say: (line: string) => void,
  ) {
    this.catalogue = buildCatalogue(options.jobs);
  }

  /** Pid of the serverless-offline process (both functions run in its worker threads). */
  get offlinePid(): number | undefined {
    return this.offline?.child.pid;
  }

  get offlineLog(): string | undefined {
    return this.offline?.logFile;
  }

  async start(env: NodeJS.ProcessEnv): Promise<void> {
    const c = this.config;
    if (c.localServers.length > 0) {
      const servers = selectServers(c, []);
      for (const s of servers) await s.install(this.say);
      const results = await Promise.all(servers.map((s) => s.start(this.say)));
      this.startedServers = results.filter((r) => !r.alreadyRunning).map((r) => r.name);
      this.say(
        `servers: ${results.map((r) => `${r.name} ${r.alreadyRunning ? "(already running)" : `started in ${(r.startMs / 1000).toFixed(1)} s`}`).join(", ")}`,
      );
    } else {
      this.say("servers: external (JTP_LOCAL_SERVERS=none)");
    }
    await migrateAll(c);
    const writer = createMysqlPool(c, c.mysql.writer);
    await seedDimensions(writer, this.catalogue, companyOf);
    await writer.end();
    this.say(
      `dimensions: ${this.catalogue.jobs.length} jobs, ${this.catalogue.publisherIds.length} publishers seeded`,
    );
    this.readerPool = createMysqlPool(c, c.mysql.reader);
    this.warehouse = new WarehouseStatus(this.readerPool);
    this.appliedEvents = new AppliedEvents(this.readerPool);

    // serverless-offline takes seconds to start: meanwhile the broker loads its coordinators and the
    // bridge joins its consumer group, so neither delays the first events (docs/local-run.md).
    const offlineStarting = startServerlessOffline(c.stateDir, env, { whenPortTaken: "free-port" }).then(
      (offline) => {
        this.offline = offline;
        return offline;
      },
    );
    offlineStarting.catch(() => undefined); // awaited below; the gate must not leave it unhandled
    const lambda = offlineStarting.then((offline) => lambdaInvoker(offline.endpoint));
    lambda.catch(() => undefined);
    const invoker: Invoker = {
      invoke: async (functionName, event) => (await lambda).invoke(functionName, event),
    };
    const bridgeReady = this.startBridge(invoker).catch((err: unknown) => err as Error);
    // the first invocation of each instance is a cold start: pay it now, not with the first events
    const aggregatorWarm = bridgeReady.then(async (partitions) => {
      if (partitions instanceof Error) return;
      const aggregator = offlineFunctionName("aggregator");
      const topic = trackingTopic(c.cassandra.keyspace);
      await warmAggregatorInstances(invoker, aggregator, c.kafka.brokers, topic, partitions).then(
        (ms) =>
          this.say(`aggregator: ${partitions.length} instances started in ${ms} ms (one per partition)`),
        (err: unknown) =>
          this.say(
            `aggregator: warm-up invocation failed (${(err as Error).message}); the bridge retries batches until it works`,
          ),
      );
    });
    const offline = await offlineStarting;
    this.say(
      `serverless offline: functions on ${offline.endpoint}${offline.movedFromDefaultPort ? ` (${OFFLINE_LAMBDA_ENDPOINT} is taken by another process)` : ""} (log ${offline.logFile})`,
    );
    const pollerProcesses = this.options.pollerProcesses ?? 0;
    if (pollerProcesses === 0) {
      this.scheduler = new LocalScheduler(invoker, offlineFunctionName("cdcPoller"), this.log, {
        onResult: (result) => {
          const r = result as Partial<Record<"rowsRead" | "published", number>> | undefined;
          this.pollerTotals.invocations++;
          this.pollerTotals.rowsRead += r?.rowsRead ?? 0;
          this.pollerTotals.published += r?.published ?? 0;
        },
      });
      this.scheduler.start();
    } else {
      const groups = shardGroups(c.cassandra.shards, pollerProcesses);
      this.pollers = groups.map((shards) =>
        spawn(process.execPath, ["--import", "tsx", "bin/jtp.ts", "poll", "--invocation", "60"], {
          cwd: PROJECT_ROOT,
          env: { ...env, CDC_SHARDS_OWNED: shards.join(",") },
          stdio: ["ignore", "ignore", "inherit"],
        }),
      );
      this.say(`poller processes: ${groups.map((g) => `shards ${g.join(",")}`).join(" / ")}`);
    }
    const reconcileEveryMs = this.options.reconcileEveryMs ?? 30_000;
    if (reconcileEveryMs > 0) {
      this.reconcileScheduler = new LocalScheduler(invoker, offlineFunctionName("reconciler"), this.log, {
        intervalMs: reconcileEveryMs,
        onResult: (result) => this.addPass(result as Partial<ReconcileTotals> | undefined),
      });
      this.reconcileScheduler.start();
    }
    const bridge = await bridgeReady;
    if (bridge instanceof Error) throw bridge;
    await aggregatorWarm;
  }

  private addPass(r: Partial<ReconcileTotals> | undefined): void {
    this.reconcileTotals.passes++;
    this.reconcileTotals.missingFound += r?.missingFound ?? 0;
    this.reconcileTotals.republished += r?.republished ?? 0;
    this.reconcileTotals.driftLeft = r?.driftLeft ?? 0;
  }

  /**
   * One reconcile pass now (as `jtp reconcile`), over every bucket since `fromMs`, open ones included:
   * call it once the writers have stopped, so rows the streaming path missed (later than the poller's
   * look-back) are re-published and applied before the run's totals are read. Waits for the aggregator.
   */
  async reconcileNow(fromMs: number): Promise<PassReport> {
    const rt = createReconciler(this.config, this.log, { role: "cli" });
    try {
      const toMs = Date.now();
      const report = await reconcilePass(rt.settings, rt.deps, {
        mode: "cli",
        buckets: bucketsBetween(fromMs, toMs, rt.settings.bucketMs),
        fromMs,
        toMs,
        dryRun: false,
      });
      this.addPass(report);
      return report;
    } finally {
      await rt.close();
    }
  }

  /**
   * Warms the broker's coordinators, then starts the event source mapping bridge and waits for its
   * group join. Returns the topic's partitions.
   */
  private async startBridge(invoker: Invoker): Promise<number[]> {
    const c = this.config;
    const kafka = bridgeKafka(c, this.log);
    const groupId = `jtp-esm-aggregator-${c.cassandra.keyspace}`;
    const topic = trackingTopic(c.cassandra.keyspace);
    const warm = await warmKafkaCoordinators(
      kafka,
      groupId,
      `jtp-local-warmup.${c.cassandra.keyspace}`,
      topic,
    );
    this.say(
      `kafka: group coordinator ready in ${warm.groupCoordinatorMs} ms, transaction coordinator in ${warm.transactionCoordinatorMs} ms`,
    );
    this.bridge = new KafkaEsmBridge(
      kafka,
      invoker,
      {
        topic,
        functionName: offlineFunctionName("aggregator"),
        groupId,
        bootstrapServers: c.kafka.brokers,
        batchSize: this.options.batchSize,
        batchingWindowMs: this.options.batchingWindowMs,
        maxRetries: -1,
        startFromEarliest: true,
        ...(this.options.maxConcurrentInvocations === undefined
          ? {}
          : { maxConcurrentInvocations: this.options.maxConcurrentInvocations }),
      },
      this.log,
      (result) => {
        const r = result as { freshnessMs?: number | null; applied?: number } | undefined;
        if (typeof r?.freshnessMs === "number" && typeof r.applied === "number")
          this.appliedFreshness.add(r.freshnessMs, r.applied);
      },
    );
    await this.bridge.start();
    let timer: NodeJS.Timeout | undefined;
    const joinedMs = await Promise.race([
      this.bridge.joined,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), BRIDGE_JOIN_NOTICE_MS);
      }),
    ]);
    clearTimeout(timer);
    this.say(
      joinedMs === undefined
        ? `event source mapping bridge: not in its consumer group after ${BRIDGE_JOIN_NOTICE_MS / 1000} s (kafkajs keeps trying; nothing reaches the warehouse until it joins)`
        : `event source mapping bridge: joined its consumer group in ${joinedMs} ms; batch size ${this.options.batchSize}, batching window ${this.options.batchingWindowMs} ms`,
    );
    return warm.partitions;
  }

  /** Pids of the separate poller processes (none when the schedule invokes the poller function). */
  get pollerPids(): number[] {
    return this.pollers.map((p) => p.pid).filter((p): p is number => p !== undefined);
  }

  /** A lake writer for the generator (same client for the whole run). */
  lakeWriter(): TrackingWriter {
    this.lakeClient ??= createCassandraClient(this.config);
    return new TrackingWriter(
      this.lakeClient,
      this.config.cassandra.shards,
      this.config.cassandra.bucketSeconds * 1000,
    );
  }

  async stop(stopServers: boolean): Promise<void> {
    await this.scheduler?.stop();
    await this.reconcileScheduler?.stop();
    for (const p of this.pollers) p.kill("SIGINT");
    await this.bridge?.stop();
    await this.offline?.stop();
    await this.readerPool?.end().catch(() => undefined);
    await this.lakeClient?.shutdown().catch(() => undefined);
    if (stopServers && this.startedServers.length > 0) {
      await Promise.all(selectServers(this.config, this.startedServers).map((s) => s.stop(this.say)));
    }
  }
}

/** Shards 0..total-1 dealt round-robin to `groups` owners (every owner gets at least one when groups <= total). */
export function shardGroups(total: number, groups: number): number[][] {
  if (!Number.isInteger(groups) || groups < 1 || groups > total) {
    throw new Error(`poller processes must be 1..${total} (the lake has ${total} shards)`);
  }
  return Array.from({ length: groups }, (_, i) =>
    Array.from({ length: total }, (_, s) => s).filter((s) => s % groups === i),
  );
}
