import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emitAggregatorBatch } from "../../lib/adapters/metrics/aggregator-metrics.js";
import { createFunctionMetrics, emitInvocationError } from "../../lib/adapters/metrics/function-metrics.js";
import { emitPollerMetrics } from "../../lib/adapters/metrics/poller-metrics.js";
import { emitReconcileMetrics } from "../../lib/adapters/metrics/reconciler-metrics.js";
import {
  deadLetterMetricName,
  EMITTED_METRICS,
  METRIC_SERVICE,
  METRICS_NAMESPACE,
} from "../../lib/core/metrics/metric-names.js";
import { INVALID_REASON_CODES } from "../../lib/core/record-validation.js";
import { captureEmf, metricDeclarations, metricValues } from "../support/emf-capture.js";

let emf: ReturnType<typeof captureEmf>;
beforeEach(() => {
  emf = captureEmf();
});
afterEach(() => emf.restore());

const declared = (service: string) =>
  new Map(EMITTED_METRICS.filter((m) => m.service === service).map((m) => [m.name, m.unit]));

/** Every metric of the blobs is declared for `service` with the same unit, in the namespace, with service + stage only. */
function expectDeclared(service: string, stage: string): void {
  const decls = metricDeclarations(emf.blobs());
  expect(decls.length).toBeGreaterThan(0);
  const units = declared(service);
  for (const d of decls) {
    expect(d.namespace).toBe(METRICS_NAMESPACE);
    expect(d.dimensions).toEqual({ service, stage });
    expect(units.get(d.name), `${d.name} declared for ${service}`).toBe(d.unit);
  }
}

describe("poller metrics (emitPollerMetrics)", () => {
  it("one invocation: counts, event lag, one duration per poll, poll count, fenced", () => {
    const metrics = createFunctionMetrics(METRIC_SERVICE.poller, { stage: "prod" });
    emitPollerMetrics(metrics, {
      rowsPublished: 1200,
      cassandraRowsRead: 1250,
      lateRowsPublished: 7,
      eventLagMs: 842.4,
      pollDurationsMs: [120, 95.6, 101],
      fenced: false,
    });
    metrics.publishStoredMetrics();
    const v = metricValues(emf.blobs());
    expect(Object.fromEntries(v)).toEqual({
      RowsPublished: [1200],
      CassandraRowsRead: [1250],
      LateRowsPublished: [7],
      EventLag: [842],
      PollDuration: [120, 96, 101],
      Polls: [3],
      Fenced: [0],
    });
    expectDeclared("cdc-poller", "prod");
  });

  it("a fenced invocation that published nothing: Fenced 1, no EventLag; errors count 1", () => {
    const metrics = createFunctionMetrics(METRIC_SERVICE.poller, { stage: "dev" });
    emitPollerMetrics(metrics, {
      rowsPublished: 0,
      cassandraRowsRead: 0,
      lateRowsPublished: 0,
      eventLagMs: undefined,
      pollDurationsMs: [],
      fenced: true,
    });
    emitInvocationError(metrics);
    metrics.publishStoredMetrics();
    const v = metricValues(emf.blobs());
    expect(v.get("Fenced")).toEqual([1]);
    expect(v.get("Polls")).toEqual([0]);
    expect(v.has("EventLag")).toBe(false);
    expect(v.has("PollDuration")).toBe(false);
    expect(v.get("InvocationErrors")).toEqual([1]);
    expectDeclared("cdc-poller", "dev");
  });

  it("more than 100 polls in one invocation are all kept (Powertools flushes at 100 values)", () => {
    const metrics = createFunctionMetrics(METRIC_SERVICE.poller, { stage: "prod" });
    const polls = Array.from({ length: 130 }, (_, i) => i);
    emitPollerMetrics(metrics, {
      rowsPublished: 1,
      cassandraRowsRead: 1,
      lateRowsPublished: 0,
      eventLagMs: 10,
      pollDurationsMs: polls,
      fenced: false,
    });
    metrics.publishStoredMetrics();
    expect(metricValues(emf.blobs()).get("PollDuration")).toEqual(polls);
    expect(metricValues(emf.blobs()).get("Polls")).toEqual([130]);
  });
});

describe("reconciler metrics (emitReconcileMetrics)", () => {
  it("one pass", () => {
    const metrics = createFunctionMetrics(METRIC_SERVICE.reconciler, { stage: "prod" });
    emitReconcileMetrics(metrics, {
      partitionsChecked: 48,
      rowsCompared: 100_000,
      missingFound: 3,
      republished: 3,
      driftLeft: 0,
    });
    metrics.publishStoredMetrics();
    expect(Object.fromEntries(metricValues(emf.blobs()))).toEqual({
      PartitionsChecked: [48],
      RowsCompared: [100_000],
      MissingFound: [3],
      Republished: [3],
      DriftLeft: [0],
    });
    expectDeclared("reconciler", "prod");
  });
});

describe("aggregator metrics (emitAggregatorBatch)", () => {
  it("dead letters per reason code of the fixed set; an unknown code counts as DeadLetters_other", () => {
    const metrics = createFunctionMetrics(METRIC_SERVICE.aggregator, { stage: "prod" });
    emitAggregatorBatch(metrics, {
      recordsIn: 10,
      applied: 5,
      deadLettered: 5,
      deadLetteredByReason: { invalid_json: 2, implausible_event_time: 1, some_future_code: 2 },
      implausible: 1,
      skippedReplays: 0,
      skippedDuplicates: 0,
      rowsUpserted: 4,
      batchMs: 12,
      transactionMs: 9,
      attempts: 1,
      freshnessMs: null,
    });
    metrics.publishStoredMetrics();
    const v = metricValues(emf.blobs());
    expect(v.get("DeadLetters")).toEqual([5]);
    expect(v.get("DeadLetters_invalid_json")).toEqual([2]);
    expect(v.get("DeadLetters_implausible_event_time")).toEqual([1]);
    expect(v.get("DeadLetters_other")).toEqual([2]);
    expect(v.get("ImplausibleRecords")).toEqual([1]);
    expect(v.has("Freshness")).toBe(false);
    expect(deadLetterMetricName("some_future_code")).toBe("DeadLetters_other");
    expectDeclared("aggregator", "prod");
  });

  it("the dead-letter metrics cover exactly the validation reason codes (plus other)", () => {
    const declaredDeadLetters = EMITTED_METRICS.filter((m) => m.name.startsWith("DeadLetters_")).map(
      (m) => m.name,
    );
    expect(declaredDeadLetters.sort()).toEqual(
      [...INVALID_REASON_CODES, "other"].map((c) => `DeadLetters_${c}`).sort(),
    );
  });

  it("the stage dimension comes from JTP_STAGE (default local) and a bad value is a ConfigError naming it", () => {
    const m = createFunctionMetrics(METRIC_SERVICE.aggregator, { env: { JTP_STAGE: "dev" } });
    emitInvocationError(m);
    m.publishStoredMetrics();
    const local = createFunctionMetrics(METRIC_SERVICE.aggregator, { env: {} });
    emitInvocationError(local);
    local.publishStoredMetrics();
    expect(metricDeclarations(emf.blobs()).map((d) => d.dimensions.stage)).toEqual(["dev", "local"]);
    expect(() => createFunctionMetrics(METRIC_SERVICE.aggregator, { env: { JTP_STAGE: "Prod!" } })).toThrow(
      /JTP_STAGE: must be lower-case/,
    );
  });
});
