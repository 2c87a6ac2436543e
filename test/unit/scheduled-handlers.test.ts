import { Logger } from "@aws-lambda-powertools/logger";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PollerRuntime } from "../../functions/cdc-poller/dependencies.js";
import { createPollerHandler } from "../../functions/cdc-poller/handler.js";
import type { ReconcilerRuntime } from "../../functions/reconciler/dependencies.js";
import { createReconcilerHandler } from "../../functions/reconciler/handler.js";
import { createFunctionMetrics } from "../../lib/adapters/metrics/function-metrics.js";
import { METRIC_SERVICE } from "../../lib/core/metrics/metric-names.js";
import { CdcPollerSession } from "../../lib/use-cases/cdc/cdc-poller-session.js";
import { silentLog } from "../../lib/use-cases/ports/log.js";
import { fakeContext } from "../support/aggregator-fixtures.js";
import { captureEmf, metricValues } from "../support/emf-capture.js";
import { FakeKafka } from "../support/fake-change-log.js";
import { FakeLake } from "../support/fake-lake.js";
import {
  FakeAccounted,
  FakeLakePartitions,
  FakePassLog,
  FakePublisher,
  FakeStream,
  instantAggregator,
} from "../support/fake-reconcile.js";

const env = {
  JTP_STAGE: "test",
  CDC_POLL_INTERVAL_MS: "0",
  CDC_SAFETY_MARGIN_MS: "500",
  RECONCILE_SAFETY_MARGIN: "1s",
};
const silent = () => new Logger({ serviceName: "test", logLevel: "SILENT" });

/** A Lambda context whose remaining time is above the margin for `ticks` reads, then 0. */
function context(ticks: number) {
  let left = ticks;
  return { ...fakeContext("scheduled"), getRemainingTimeInMillis: () => (left-- > 0 ? 60_000 : 0) };
}

let emf: ReturnType<typeof captureEmf>;
beforeEach(() => {
  emf = captureEmf();
});
afterEach(() => emf.restore());

describe("poller handler", () => {
  it("polls until the time budget runs low and emits the invocation's metrics (EMF)", async () => {
    const lake = new FakeLake({ bucketMs: 60_000 });
    const kafka = new FakeKafka();
    const now = Date.now();
    for (let i = 0; i < 25; i++) lake.insert(i % 2, now - 5_000 + i);
    const handler = createPollerHandler({
      env,
      logger: silent(),
      metrics: createFunctionMetrics(METRIC_SERVICE.poller, { stage: "test" }),
      wire: (config, log): PollerRuntime => ({
        session: new CdcPollerSession(
          {
            keyspace: "ks",
            table: "tracking",
            shards: [0, 1],
            bucketMs: 60_000,
            settleMs: config.cdc.settleMs,
            sweeps: [],
            maxBatchRows: 1_000,
            startFrom: now - 10_000,
            idleCheckpointMs: 5_000,
          },
          lake,
          kafka.client(),
          log,
        ),
        transactionalId: "test",
        close: async () => undefined,
      }),
    });
    const summary = await handler({}, context(3));
    expect(summary.published).toBe(25);
    const v = metricValues(emf.blobs());
    expect(v.get("RowsPublished")).toEqual([25]);
    expect(v.get("CassandraRowsRead")).toEqual([summary.rowsRead]);
    expect(v.get("Polls")).toEqual([summary.polls]);
    expect(v.get("PollDuration")).toHaveLength(summary.polls);
    expect(v.get("Fenced")).toEqual([0]);
    expect(v.get("EventLag")?.[0]).toBeGreaterThanOrEqual(0);
    expect(v.has("InvocationErrors")).toBe(false);
  });

  it("a failing invocation emits InvocationErrors and rethrows", async () => {
    const handler = createPollerHandler({
      env,
      logger: silent(),
      metrics: createFunctionMetrics(METRIC_SERVICE.poller, { stage: "test" }),
      wire: () => {
        throw new Error("cassandra unreachable");
      },
    });
    await expect(handler({}, context(3))).rejects.toThrow("cassandra unreachable");
    expect(metricValues(emf.blobs()).get("InvocationErrors")).toEqual([1]);
  });
});

describe("reconciler handler", () => {
  it("runs the due checks, repairs what is missing and emits the pass's metrics (EMF)", async () => {
    const lake = new FakeLakePartitions();
    const accounted = new FakeAccounted();
    const passLog = new FakePassLog();
    const bucket = Math.floor((Date.now() - 5 * 60_000) / 60_000) * 60_000;
    accounted.markApplied(lake.add({ bucket, shard: 0 }, 6));
    lake.add({ bucket, shard: 1 }, 4);
    const handler = createReconcilerHandler({
      env,
      logger: silent(),
      metrics: createFunctionMetrics(METRIC_SERVICE.reconciler, { stage: "test" }),
      wire: (): ReconcilerRuntime => ({
        settings: {
          keyspace: "ks",
          table: "tracking",
          shards: [0, 1],
          bucketMs: 60_000,
          concurrency: 2,
          publishBatchRows: 100,
          verifyTimeoutMs: 1_000,
          verifyPollMs: 10,
          checkDelaysMs: [60_000, 600_000],
          horizonMs: 3_600_000,
          streamingMs: 1_000,
          maxStreamBacklog: 1_000,
        },
        deps: {
          lake,
          accounted,
          publisher: new FakePublisher(instantAggregator(accounted)),
          passLog,
          log: silentLog,
          stream: new FakeStream(),
        },
        close: async () => undefined,
      }),
    });
    const report = await handler({}, context(100));
    expect(report).toMatchObject({ status: "done", missingFound: 4, republished: 4, driftLeft: 0 });
    const v = metricValues(emf.blobs());
    expect(v.get("MissingFound")).toEqual([4]);
    expect(v.get("Republished")).toEqual([4]);
    expect(v.get("DriftLeft")).toEqual([0]);
    expect(v.get("RowsCompared")).toEqual([10]);
    expect(v.get("PartitionsChecked")?.[0]).toBeGreaterThanOrEqual(2);
    expect(passLog.passes).toHaveLength(1);
  });
});
