import { setTimeout as sleep } from "node:timers/promises";
import type { Kafka } from "kafkajs";
import type { Config } from "../../lib/config/index.js";
import type { LakeSink } from "../tooling/generator/run-generator.js";
import type { Catalogue } from "../tooling/generator/tracking-event-factory.js";
import type { ComponentProcesses } from "./component-chaos.js";
import type { IntegrityOptions } from "./integrity-options.js";

/** Counters the fault steps add to; the report shows their sums. A new counter is a new field. */
export interface FaultTally {
  poisonInjected: number;
  duplicateRecordsRedelivered: number;
  beyondBoundWritten: number;
  /** Batches the bridge was told to give up (as an event source mapping after its retries). */
  batchGiveUpsInjected: number;
  /** What the final reconcile pass found and did. */
  reconcileMissingFound: number;
  reconcileRepublished: number;
  reconcileDeadLettered: number;
  reconcileDriftLeft: number;
}

export const emptyTally = (): FaultTally => ({
  poisonInjected: 0,
  duplicateRecordsRedelivered: 0,
  beyondBoundWritten: 0,
  batchGiveUpsInjected: 0,
  reconcileMissingFound: 0,
  reconcileRepublished: 0,
  reconcileDeadLettered: 0,
  reconcileDriftLeft: 0,
});

/** What a step can act on. */
export interface FaultContext {
  readonly config: Config;
  readonly options: IntegrityOptions;
  readonly components: ComponentProcesses;
  readonly kafka: Kafka;
  /** The change-event topic of this run. */
  readonly topic: string;
  /** The generator's lake writer (it retries through Cassandra restarts). */
  readonly lake: LakeSink;
  readonly catalogue: Catalogue;
  /**
   * create_time of the rows the plan wrote beyond the poller's look-back on purpose: while
   * `everyLakeRowCounted` is false, those that were never published are not counted as lost.
   */
  readonly beyondLookBack: Set<string>;
  /** Aborted when the run ends early: long waits inside a step should pass it on. */
  readonly signal: AbortSignal;
  /** When the generator's load began (epoch ms). */
  readonly loadStartedMs: number;
}

/** When a step runs. */
export type FaultTiming =
  /** At this fraction (0..1) of the load period; steps of one lane run one after the other. */
  | { readonly at: number; readonly lane: string }
  /** After the load, once the warehouse has stopped changing; then the final check waits again. */
  | { readonly after: "settled" };

/** One row of the fault plan. */
export interface FaultStep {
  readonly when: FaultTiming;
  /** The fault as the report lists it. */
  readonly name: string;
  /** Injects the fault (and undoes it, e.g. restarts what it stopped, also when aborted); returns what it adds to the tally. */
  readonly run: (ctx: FaultContext) => Promise<Partial<FaultTally>>;
}

/** A fault that happened, for the report. */
export interface FaultRecord {
  /** UTC time of day it started. */
  readonly at: string;
  readonly name: string;
}

/** Runs steps one after the other, recording each and summing what they return into `tally`. */
async function runInOrder(
  steps: readonly FaultStep[],
  ctx: FaultContext,
  tally: FaultTally,
  record: (step: FaultStep) => void,
  waitFor: (step: FaultStep) => Promise<void>,
): Promise<void> {
  for (const step of steps) {
    await waitFor(step);
    if (ctx.signal.aborted) return;
    record(step);
    const added = await step.run(ctx);
    for (const [k, v] of Object.entries(added) as Array<[keyof FaultTally, number]>) tally[k] += v;
  }
}

/**
 * The plan of one run: runs the timed steps at their moment of the load period (lanes concurrently,
 * the steps of a lane in order), and later the steps that wait for the pipeline to settle.
 */
export class FaultPlan {
  readonly faults: FaultRecord[] = [];
  readonly tally = emptyTally();

  constructor(
    private readonly steps: readonly FaultStep[],
    private readonly say: (line: string) => void,
  ) {}

  /** Steps to run once the pipeline has settled after the load. */
  get settledSteps(): FaultStep[] {
    return this.steps.filter((s) => "after" in s.when);
  }

  /**
   * Runs every timed step; `loadStartedMs` is when the load period began. Resolves when all lanes
   * are done; the first step that fails stops the other lanes (at their next wait) and is rethrown.
   */
  async runTimed(ctx: FaultContext, loadStartedMs: number): Promise<void> {
    const lanes = new Map<string, FaultStep[]>();
    for (const s of this.steps) {
      if ("at" in s.when) lanes.set(s.when.lane, [...(lanes.get(s.when.lane) ?? []), s]);
    }
    const failure = new AbortController();
    const laneCtx: FaultContext = { ...ctx, signal: AbortSignal.any([ctx.signal, failure.signal]) };
    const waitFor = async (step: FaultStep) => {
      if (!("at" in step.when)) return;
      const wait = loadStartedMs + step.when.at * ctx.options.loadSeconds * 1000 - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: laneCtx.signal }).catch(() => undefined);
    };
    const at = (s: FaultStep) => ("at" in s.when ? s.when.at : 1);
    const results = await Promise.allSettled(
      [...lanes.values()].map((lane) =>
        runInOrder(
          [...lane].sort((a, b) => at(a) - at(b)),
          laneCtx,
          this.tally,
          (s) => this.record(s),
          waitFor,
        ).catch((err: unknown) => {
          failure.abort();
          throw err;
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** Runs the steps that wait for the pipeline to settle, in table order. */
  async runSettled(ctx: FaultContext): Promise<void> {
    await runInOrder(
      this.settledSteps,
      ctx,
      this.tally,
      (s) => this.record(s),
      async () => undefined,
    );
  }

  private record(step: FaultStep): void {
    this.faults.push({ at: new Date().toISOString().slice(11, 19), name: step.name });
    this.say(`FAULT ${step.name}`);
  }
}
