/** What one integrity run does: sizes of the load and of the faults. */
export interface IntegrityOptions {
  /** Seconds of generator load. The timed fault steps are spread over it. */
  readonly loadSeconds: number;
  /** Generator events per second. */
  readonly rate: number;
  /** How long MariaDB stays down. */
  readonly dbDownSeconds: number;
  /**
   * The poller's look-back in this run (the longest age of CDC_SWEEP_SCHEDULE): rows that land later
   * than this behind its cursor are not published by the poller (the reconciler's job).
   */
  readonly lookBackMs: number;
  /** How long to wait, after the load, for the warehouse to match the lake. */
  readonly quiescenceTimeoutSeconds: number;
  /** Seed of the random kill moments (and of the fuzzed poison). */
  readonly seed: number;
  /** How many kill -9s (spread over poller, bridge and aggregator). */
  readonly kills: number;
  /** Seeded random mutations of real change records injected next to the hand-written poison. */
  readonly fuzzedRecords: number;
  /**
   * false: the rows the plan itself wrote beyond the look-back may stay out of the warehouse if they
   * were never published (no repair step in the plan). true: every lake row must be counted in the
   * warehouse, one missing from it is lost (for a plan with a repair step, such as a reconcile pass,
   * at its end). Either way every other lake row must be counted exactly once.
   */
  readonly everyLakeRowCounted: boolean;
  /** Aborting it ends the run early; cleanup still happens. */
  readonly signal?: AbortSignal;
  readonly say: (line: string) => void;
}
