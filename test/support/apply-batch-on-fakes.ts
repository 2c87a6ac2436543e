import type { MSKRecord } from "aws-lambda";
import { hourBucketer } from "../../lib/core/time-bucket.js";
import { decodeKafkaEvent } from "../../lib/kafka-event/decode-kafka-event.js";
import {
  type ApplyBatch,
  type ApplyBatchDeps,
  type ApplyBatchOptions,
  type BatchSummary,
  createApplyBatch,
} from "../../lib/use-cases/apply-batch.js";
import type { Warehouse } from "../../lib/use-cases/apply-batch-ports.js";
import { mskEvent } from "./aggregator-fixtures.js";

/** Apply-batch options of the unit tests: event-id guard on, 24 h window, 1 MiB records, quick retries. */
export const TEST_APPLY_OPTIONS: ApplyBatchOptions = {
  dedupByEventId: true,
  dedupWindowHours: 24,
  maxRecordBytes: 1 << 20,
  retry: { maxAttempts: 2, baseMs: 1, capMs: 1 },
};

export type ApplyBatchOverrides = Partial<Omit<ApplyBatchDeps, "warehouse" | "options">> & {
  readonly options?: Partial<ApplyBatchOptions>;
};

/**
 * The aggregator's use case over `warehouse` (a fake one in unit tests): no job has a company, UTC
 * hours, TEST_APPLY_OPTIONS; any dependency or option can be overridden.
 */
export function applyBatchOn(warehouse: Warehouse, over: ApplyBatchOverrides = {}): ApplyBatch {
  const { options, ...deps } = over;
  return createApplyBatch({
    jobs: { companyIds: async () => new Map() },
    bucketer: hourBucketer("UTC"),
    ...deps,
    warehouse,
    options: { ...TEST_APPLY_OPTIONS, ...options },
  });
}

/** Decodes an MSK event of `records` as the aggregator's handler does, then applies it. */
export function applyMskRecords(apply: ApplyBatch, records: readonly MSKRecord[]): Promise<BatchSummary> {
  return apply(decodeKafkaEvent(mskEvent(records)).records);
}
