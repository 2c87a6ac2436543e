import { Logger } from "@aws-lambda-powertools/logger";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAggregatorHandler } from "../../functions/aggregator/handler.js";
import { createFunctionMetrics } from "../../lib/adapters/metrics/function-metrics.js";
import { clearSecretCache, type SecretStringReader } from "../../lib/adapters/secrets/secrets-manager-env.js";
import { loadConfig } from "../../lib/config/index.js";
import { type TopicPartition, topicPartitionKey } from "../../lib/core/kafka-record.js";
import { EMITTED_METRICS, METRIC_SERVICE, METRICS_NAMESPACE } from "../../lib/core/metrics/metric-names.js";
import type { ApplyBatch } from "../../lib/use-cases/apply-batch.js";
import type { Warehouse, WarehouseTx } from "../../lib/use-cases/apply-batch-ports.js";
import { fakeContext, mskEvent, mskRecord, trackingRow } from "../support/aggregator-fixtures.js";
import { applyBatchOn } from "../support/apply-batch-on-fakes.js";
import { captureEmf, metricDeclarations, metricValues } from "../support/emf-capture.js";

/** Minimal in-memory warehouse (our port): ledger, claimed event ids, counts of what was written. */
class MemoryWarehouse implements Warehouse {
  readonly ledger = new Map<string, number>();
  readonly claimed = new Set<string>();
  rowsUpserted = 0;
  deadLetters = 0;
  async ensureLedger(ps: readonly TopicPartition[]): Promise<void> {
    for (const p of ps) if (!this.ledger.has(topicPartitionKey(p))) this.ledger.set(topicPartitionKey(p), -1);
  }
  async transaction<T>(work: (tx: WarehouseTx) => Promise<T>): Promise<T> {
    return work({
      lockLedger: async (ps) =>
        new Map(ps.map((p) => [topicPartitionKey(p), this.ledger.get(topicPartitionKey(p)) ?? -1])),
      claimEventIds: async (ids) => {
        const already = new Set(ids.filter((i) => this.claimed.has(i)));
        for (const i of ids) this.claimed.add(i);
        return already;
      },
      upsertAggregates: async (rows) => {
        this.rowsUpserted += rows.length;
      },
      insertDeadLetters: async (letters) => {
        this.deadLetters += letters.length;
      },
      advanceLedger: async (ps) => {
        for (const p of ps)
          this.ledger.set(
            topicPartitionKey(p),
            Math.max(this.ledger.get(topicPartitionKey(p)) ?? -1, p.offset),
          );
      },
    });
  }
  async pruneProcessedEvents(): Promise<number> {
    return 0;
  }
}

const TOPIC = "cassandra_cdc.tracking_lake.tracking";
const NOW = Date.UTC(2026, 11, 1, 12, 30, 0);
const clock = () => NOW;
const silent = new Logger({ serviceName: "test", logLevel: "SILENT" });
const config = loadConfig({ JTP_STATE_DIR: "/nonexistent-jtp-state" });

function applyBatchOver(warehouse: Warehouse): ApplyBatch {
  return applyBatchOn(warehouse, { clock, sleep: async () => undefined });
}

/** The known batch: 3 clicks (oldest written 2.5 s before NOW), 1 not JSON, 1 dated 2 h ahead, 1 re-sent event. */
function knownBatch() {
  const first = trackingRow({ job_id: 1, ts: NOW - 2_500 });
  const rows = [
    first,
    trackingRow({ job_id: 2, ts: NOW - 1_000 }),
    trackingRow({ job_id: 3, ts: NOW - 500 }),
  ];
  return mskEvent([
    ...rows.map((value, i) => mskRecord({ topic: TOPIC, partition: 0, offset: i, value })),
    mskRecord({ topic: TOPIC, partition: 0, offset: 3, value: "not json" }),
    mskRecord({
      topic: TOPIC,
      partition: 0,
      offset: 4,
      value: trackingRow({ job_id: 4, ts: NOW + 2 * 3_600_000 }),
    }),
    mskRecord({ topic: TOPIC, partition: 0, offset: 5, value: first }),
  ]);
}

let emf: ReturnType<typeof captureEmf>;
beforeEach(() => {
  emf = captureEmf();
  clearSecretCache();
});
afterEach(() => emf.restore());

describe("aggregator handler metrics (EMF)", () => {
  it("a known batch: records in, applied, dead letters by reason, implausible, duplicates, rows, times, attempts, freshness", async () => {
    const warehouse = new MemoryWarehouse();
    const handler = createAggregatorHandler({
      config,
      logger: silent,
      metrics: createFunctionMetrics(METRIC_SERVICE.aggregator, { stage: "prod" }),
      wire: () => ({ applyBatch: applyBatchOver(warehouse), close: async () => undefined }),
    });
    const summary = await handler(knownBatch(), fakeContext());
    const v = Object.fromEntries(metricValues(emf.blobs()));
    expect(v).toEqual({
      RecordsIn: [6],
      RecordsApplied: [3],
      DeadLetters: [2],
      DeadLetters_invalid_json: [1],
      DeadLetters_implausible_event_time: [1],
      ImplausibleRecords: [1],
      SkippedReplays: [0],
      SkippedDuplicates: [1],
      RowsUpserted: [warehouse.rowsUpserted],
      BatchTime: [0],
      TransactionTime: [0],
      TransactionAttempts: [1],
      Freshness: [2_500],
    });
    expect(warehouse.rowsUpserted).toBe(3);
    expect(summary).toMatchObject({ recordsIn: 6, applied: 3, deadLettered: 2 });
    // one EMF document, namespace + dimensions service and stage only, every metric declared with its unit
    expect(emf.blobs()).toHaveLength(1);
    const units = new Map(
      EMITTED_METRICS.filter((m) => m.service === "aggregator").map((m) => [m.name, m.unit]),
    );
    for (const d of metricDeclarations(emf.blobs())) {
      expect(d.namespace).toBe(METRICS_NAMESPACE);
      expect(d.dimensions).toEqual({ service: "aggregator", stage: "prod" });
      expect(units.get(d.name), d.name).toBe(d.unit);
    }

    // the same batch redelivered: every record is a replay, nothing applied, no freshness sample
    emf.clear();
    await handler(knownBatch(), fakeContext());
    const again = metricValues(emf.blobs());
    expect(again.get("SkippedReplays")).toEqual([6]);
    expect(again.get("RecordsApplied")).toEqual([0]);
    expect(again.get("DeadLetters")).toEqual([0]);
    expect(again.has("Freshness")).toBe(false);
  });

  it("a failed batch counts one invocation error (and the error still fails the invocation)", async () => {
    const handler = createAggregatorHandler({
      config,
      logger: silent,
      metrics: createFunctionMetrics(METRIC_SERVICE.aggregator, { stage: "dev" }),
      wire: () => ({
        applyBatch: async () => {
          throw new Error("warehouse down");
        },
        close: async () => undefined,
      }),
    });
    await expect(handler(knownBatch(), fakeContext())).rejects.toThrow("warehouse down");
    expect(Object.fromEntries(metricValues(emf.blobs()))).toEqual({ InvocationErrors: [1] });
    expect(metricDeclarations(emf.blobs())[0]?.dimensions).toEqual({ service: "aggregator", stage: "dev" });
  });

  it("rotated credentials on a warm instance: refused credentials make the next invocation re-read the secret and rebuild the pool", async () => {
    const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jtp-prod-mysql-writer-AbCdEf";
    let password = "password-one";
    let reads = 0;
    const reader: SecretStringReader = {
      getSecretString: async () => {
        reads++;
        return JSON.stringify({ username: "jtp_writer_prod", password });
      },
    };
    const built: string[] = [];
    const closed: string[] = [];
    const warehouse = new MemoryWarehouse();
    const handler = createAggregatorHandler({
      env: { JTP_STATE_DIR: "/nonexistent-jtp-state", MYSQL_WRITER_SECRET_ARN: ARN, JTP_STAGE: "prod" },
      secretReader: reader,
      logger: silent,
      wire: ({ config: c }) => {
        const pw = c.mysql.writer.password ?? "";
        built.push(pw);
        return {
          applyBatch: async (records) => {
            // the database already has the rotated password: the old pool is refused
            if (pw !== password) throw Object.assign(new Error("Access denied for user"), { errno: 1045 });
            return applyBatchOver(warehouse)(records);
          },
          close: async () => {
            closed.push(pw);
          },
        };
      },
    });
    await handler(knownBatch(), fakeContext());
    password = "password-two"; // rotated in Secrets Manager and in the database
    await expect(handler(knownBatch(), fakeContext())).rejects.toThrow(/Access denied/);
    const summary = await handler(knownBatch(), fakeContext());
    expect(summary.recordsIn).toBe(6);
    expect(built).toEqual(["password-one", "password-two"]);
    expect(closed).toEqual(["password-one"]);
    expect(reads).toBe(2);
    const v = metricValues(emf.blobs());
    expect(v.get("InvocationErrors")).toEqual([1]);
    expect(metricDeclarations(emf.blobs()).every((d) => d.dimensions.stage === "prod")).toBe(true);
  });
});
