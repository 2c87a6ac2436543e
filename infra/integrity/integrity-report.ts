import type { Component } from "./component-chaos.js";
import type { ComponentEventCounts } from "./component-events.js";
import type { FaultRecord, FaultTally } from "./fault-plan.js";
import type { Comparison } from "./ground-truth.js";

/** Everything one integrity run found, as structured values (the report table is made from it). */
export interface IntegrityReport {
  readonly eventsGenerated: number;
  readonly lateInsideBound: number;
  readonly faults: readonly FaultRecord[];
  readonly seed: number;
  /** What the fault steps did (poison injected, records redelivered, rows written beyond the bound). */
  readonly tally: FaultTally;
  /** What the components' own records say: retried aggregator invocations, failed poller invocations. */
  readonly components: ComponentEventCounts;
  readonly deadLettered: number;
  readonly deadLetterReasons: Readonly<Record<string, number>>;
  /** Lake rows never published to the topic (all causes), at the end. */
  readonly unpublished: number;
  /** Lake rows the streaming path had not published when the pipeline settled, before the plan's repair steps (undefined: no such step). */
  readonly unpublishedBeforeRepair?: number | undefined;
  /** Of those, rows the plan wrote beyond the look-back on purpose, not counted as lost (see IntegrityOptions.everyLakeRowCounted). */
  readonly unpublishedExcused: number;
  /** create_time range of the unpublished rows (for diagnosis). */
  readonly unpublishedRange: string;
  /** Whether every lake row had to be counted (see IntegrityOptions.everyLakeRowCounted). */
  readonly everyLakeRowCounted: boolean;
  /** Undefined when no comparison could be made at all. */
  readonly comparison: Comparison | undefined;
  /** Seconds from the end of the last fault until the warehouse matched; undefined: it never did. */
  readonly recoverySeconds: number | undefined;
  readonly componentsCrashed: readonly (Component | "kafka" | "cassandra" | "mariadb")[];
}

/** Each way the run failed, one line each; empty when it passed. */
export function integrityFailures(r: IntegrityReport): string[] {
  const out: string[] = [];
  const c = r.comparison;
  if (!c) out.push("the warehouse could not be compared with the lake");
  else {
    if (c.lost !== 0) out.push(`${c.lost} events lost`);
    if (c.duplicated !== 0) out.push(`${c.duplicated} events counted twice`);
    if (c.spendDiffCents !== 0) out.push(`spend differs by ${c.spendDiffCents} cents`);
  }
  if (r.deadLettered !== r.tally.poisonInjected)
    out.push(`${r.tally.poisonInjected} poison records injected but ${r.deadLettered} dead-lettered`);
  if (r.recoverySeconds === undefined) out.push("did not converge before the deadline");
  if (r.componentsCrashed.length > 0) out.push(`components left crashed: ${r.componentsCrashed.join(", ")}`);
  if (r.tally.batchGiveUpsInjected < 1)
    out.push(
      "the event source mapping's give-up of a batch could not be injected (the bridge never gave one up)",
    );
  if (r.tally.reconcileDriftLeft > 0)
    out.push(`${r.tally.reconcileDriftLeft} rows still missing after the reconcile pass`);
  return out;
}

/** The report as table rows (measure, value). */
export function reportRows(r: IntegrityReport, durationSeconds: number): Array<[string, string | number]> {
  const c = r.comparison;
  return [
    ["events generated", r.eventsGenerated],
    ["late events (inside the look-back)", r.lateInsideBound],
    ["faults injected", `${r.faults.length}: ${r.faults.map((f) => `${f.at} ${f.name}`).join("; ")}`],
    ["random seed of the kill moments", r.seed],
    ["aggregator invocations interrupted and retried", r.components.aggregatorInvocationsRetried],
    ["poller invocations failed and restarted", r.components.pollerInvocationsFailed],
    ["records redelivered (duplicate/overlapping batches)", r.tally.duplicateRecordsRedelivered],
    [
      "poison records injected / dead-lettered",
      `${r.tally.poisonInjected} / ${r.deadLettered} ${JSON.stringify(r.deadLetterReasons)}`,
    ],
    [
      "batches the event source mapping gave up (injected / records never applied by the stream)",
      `${r.tally.batchGiveUpsInjected} / ${r.components.recordsGivenUp} in ${r.components.batchesGivenUp} batch(es)`,
    ],
    [
      "final reconcile pass: missing found / re-published / came back dead-lettered / drift left",
      `${r.tally.reconcileMissingFound} / ${r.tally.reconcileRepublished} / ${r.tally.reconcileDeadLettered} / ${r.tally.reconcileDriftLeft}`,
    ],
    [
      "rows written minutes late / lake rows the stream had not published when it settled / never published at the end / of those excused",
      `${r.tally.beyondBoundWritten} / ${r.unpublishedBeforeRepair ?? "-"} / ${r.unpublished} / ${r.unpublishedExcused}${r.unpublished > 0 ? ` (${r.unpublishedRange})` : ""}`,
    ],
    ["grains compared / differing", c ? `${c.grainsCompared} / ${c.grainsDiffering}` : "-"],
    ["events lost", c?.lost ?? "-"],
    ["events counted twice", c?.duplicated ?? "-"],
    ["spend difference (cents)", c?.spendDiffCents ?? "-"],
    [
      "recovery time after the last fault",
      r.recoverySeconds === undefined ? "did not converge" : `${r.recoverySeconds.toFixed(1)} s`,
    ],
    ["components left crashed", r.componentsCrashed.join(", ") || "none"],
    ["suite duration", `${Math.round(durationSeconds)} s`],
  ];
}
