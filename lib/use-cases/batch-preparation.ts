import { type Contribution, contributionOf } from "../core/aggregation.js";
import type { EventTimeBounds } from "../core/change-event/event-time-bounds.js";
import type { KafkaRecord } from "../core/kafka-record.js";
import {
  type InvalidRecord,
  type ValidationOptions,
  type ValidRecord,
  validateRecord,
} from "../core/record-validation.js";
import type { HourBucketer } from "../core/time-bucket.js";

/** What is kept of a valid record (the parsed row itself is dropped right after validation). */
export interface PreparedRecord {
  readonly record: KafkaRecord;
  readonly eventId: string | null;
  readonly ts: number;
  readonly jobId: number;
  readonly contribution: Contribution;
}

/** Consecutive records of the batch, validated. */
export interface PreparedSlice {
  readonly good: readonly PreparedRecord[];
  readonly bad: readonly InvalidRecord[];
}

export interface BatchPreparationOptions {
  readonly maxRecordBytes: number;
  /** Records validated between two turns of the event loop. */
  readonly sliceRecords: number;
  /** Plausible event times (records outside are dead-lettered as implausible_event_time); no check when absent. */
  readonly eventTime?: EventTimeBounds;
}

export type Clock = () => number;

/**
 * Validates and buckets a batch's records slice by slice, at most once.
 *
 * Validation is CPU work in this process (base64, UTF-8, JSON.parse, the row rules: ≈ 8 µs per
 * record), while the batch transaction waits on the database. Walking the batch through
 * `slices()` lets the transaction send its statements between two slices, so the database works
 * on the slices already validated while the next ones are being validated. The slices are kept:
 * a retried transaction walks them again without validating anything twice.
 */
export class BatchPreparation {
  private readonly done: PreparedSlice[] = [];
  private nextRecord = 0;
  private spentMs = 0;
  private readonly validation: ValidationOptions;

  constructor(
    private readonly records: readonly KafkaRecord[],
    private readonly bucketer: HourBucketer,
    private readonly options: BatchPreparationOptions,
    private readonly clock: Clock = performance.now.bind(performance),
  ) {
    this.validation =
      options.eventTime === undefined
        ? { maxRecordBytes: options.maxRecordBytes }
        : { maxRecordBytes: options.maxRecordBytes, eventTime: options.eventTime };
    if (!Number.isInteger(options.sliceRecords) || options.sliceRecords < 1) {
      throw new RangeError(`sliceRecords must be a positive integer, got ${options.sliceRecords}`);
    }
  }

  /** Time spent validating so far (CPU in this process; it overlaps the transaction's I/O). */
  get validateMs(): number {
    return this.spentMs;
  }

  /**
   * Every slice in record order. Slices validated by an earlier walk come at once; each new one is
   * validated after a turn of the event loop (I/O callbacks, i.e. database replies, run first).
   */
  async *slices(): AsyncGenerator<PreparedSlice> {
    yield* this.done;
    while (this.nextRecord < this.records.length) {
      await turnOfEventLoop();
      const slice = this.validateNext();
      this.done.push(slice);
      yield slice;
    }
  }

  private validateNext(): PreparedSlice {
    const started = this.clock();
    const end = Math.min(this.records.length, this.nextRecord + this.options.sliceRecords);
    const good: PreparedRecord[] = [];
    const bad: InvalidRecord[] = [];
    for (let i = this.nextRecord; i < end; i++) {
      const record = this.records[i] as KafkaRecord;
      const verdict = validateRecord(record, this.validation);
      if (verdict.ok) good.push(prepare(verdict, this.bucketer));
      else bad.push(verdict);
    }
    this.nextRecord = end;
    this.spentMs += this.clock() - started;
    return { good, bad };
  }
}

function prepare(v: ValidRecord, bucketer: HourBucketer): PreparedRecord {
  return {
    record: v.record,
    eventId: v.eventId,
    ts: v.row.ts,
    jobId: v.row.job_id,
    contribution: contributionOf(v.row, bucketer),
  };
}

/** Resolves after the current turn's I/O callbacks have run (setImmediate: the "check" phase). */
function turnOfEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
