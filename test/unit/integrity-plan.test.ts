import { describe, expect, it } from "vitest";
import { countComponentEvents } from "../../infra/integrity/component-events.js";
import { type FaultContext, FaultPlan, type FaultStep } from "../../infra/integrity/fault-plan.js";
import { faultPlan } from "../../infra/integrity/fault-steps.js";
import type { IntegrityOptions } from "../../infra/integrity/integrity-options.js";
import { type IntegrityReport, integrityFailures } from "../../infra/integrity/integrity-report.js";
import { BATCH_GIVEN_UP } from "../../infra/local/kafka-esm-bridge.js";

const options: IntegrityOptions = {
  loadSeconds: 0, // every timed step is due at once: no waiting in unit tests
  rate: 1,
  dbDownSeconds: 10,
  lookBackMs: 20_000,
  quiescenceTimeoutSeconds: 1,
  seed: 42,
  kills: 6,
  fuzzedRecords: 24,
  everyLakeRowCounted: false,
  say: () => undefined,
};

function context(): FaultContext {
  return {
    options,
    signal: new AbortController().signal,
    // Steps under test here use none of these.
  } as unknown as FaultContext;
}

const step = (when: FaultStep["when"], name: string, run: FaultStep["run"]): FaultStep => ({
  when,
  name,
  run,
});
/** A step that records that it ran and returns `tally`. */
const recorded =
  (ran: string[], name: string, tally: Awaited<ReturnType<FaultStep["run"]>> = {}): FaultStep["run"] =>
  async () => {
    ran.push(name);
    return tally;
  };

describe("the fault plan", () => {
  it("is a table: kills in their own lane, every other fault in order in one lane", () => {
    const plan = faultPlan(options);
    const kills = plan.filter((s) => "lane" in s.when && s.when.lane === "kills");
    const faults = plan.filter((s) => "lane" in s.when && s.when.lane === "faults");
    expect(kills).toHaveLength(options.kills);
    expect(faults.map((s) => s.name)).toEqual([
      expect.stringContaining("poison"),
      "duplicate and overlapping batches delivered to the aggregator",
      "restart Kafka broker",
      "stop MariaDB for 10 s",
      expect.stringContaining("gives up on a batch"),
      "restart Cassandra",
      expect.stringContaining("minutes late"),
    ]);
    expect(plan.filter((s) => "after" in s.when).map((s) => s.name)).toEqual([
      expect.stringContaining("reconcile pass"),
    ]);
    const times = faults.map((s) => ("at" in s.when ? s.when.at : 1));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("runs each lane in time order, sums what the steps return, and keeps settled steps for later", async () => {
    const ran: string[] = [];
    const plan = new FaultPlan(
      [
        step({ at: 0.5, lane: "a" }, "a2", recorded(ran, "a2", { poisonInjected: 2 })),
        step({ at: 0.1, lane: "a" }, "a1", recorded(ran, "a1", { poisonInjected: 3 })),
        step({ at: 0.2, lane: "b" }, "b1", recorded(ran, "b1", { beyondBoundWritten: 5 })),
        step({ after: "settled" }, "repair", recorded(ran, "repair", {})),
      ],
      () => undefined,
    );
    await plan.runTimed(context(), Date.now());
    expect(ran.filter((n) => n.startsWith("a"))).toEqual(["a1", "a2"]);
    expect(ran).not.toContain("repair");
    expect(plan.tally).toMatchObject({
      poisonInjected: 5,
      duplicateRecordsRedelivered: 0,
      beyondBoundWritten: 5,
    });
    expect(plan.settledSteps.map((s) => s.name)).toEqual(["repair"]);
    await plan.runSettled(context());
    expect(ran.at(-1)).toBe("repair");
    expect(plan.faults.map((f) => f.name)).toEqual(expect.arrayContaining(["a1", "a2", "b1", "repair"]));
  });

  it("a failing step stops the other lanes and is rethrown", async () => {
    const ran: string[] = [];
    let seen: AbortSignal | undefined;
    const plan = new FaultPlan(
      [
        step({ at: 0, lane: "a" }, "fails", async () => {
          throw new Error("broker did not come back");
        }),
        step({ at: 0, lane: "b" }, "b1", async (ctx) => {
          seen = ctx.signal;
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          ran.push("b1");
          return {};
        }),
        step({ at: 0.5, lane: "b" }, "b2", recorded(ran, "b2", {})),
      ],
      () => undefined,
    );
    await expect(plan.runTimed(context(), Date.now())).rejects.toThrow("broker did not come back");
    expect(seen?.aborted).toBe(true);
    expect(ran).toEqual(["b1"]);
  });
});

describe("what the components report", () => {
  it("is counted from the fields of their JSON records", () => {
    const counts = countComponentEvents({
      poller: [
        { level: "ERROR", message: "poller invocation failed; the next one starts in 1 s" },
        { level: "WARN", message: "something else", rowsInLake: 100 },
      ],
      bridge: [
        { level: "WARN", message: "invocation failed; retrying the same batch" },
        { level: "WARN", message: "invocation failed; retrying the same batch" },
        { level: "WARN", message: BATCH_GIVEN_UP, records: 200, partition: 3 },
      ],
      aggregator: [],
    });
    expect(counts).toEqual({
      aggregatorInvocationsRetried: 2,
      pollerInvocationsFailed: 1,
      batchesGivenUp: 1,
      recordsGivenUp: 200,
    });
  });
});

describe("the verdict", () => {
  const passing: IntegrityReport = {
    eventsGenerated: 100,
    lateInsideBound: 2,
    faults: [],
    seed: 1,
    tally: {
      poisonInjected: 3,
      duplicateRecordsRedelivered: 120,
      beyondBoundWritten: 5,
      batchGiveUpsInjected: 1,
      reconcileMissingFound: 205,
      reconcileRepublished: 205,
      reconcileDeadLettered: 0,
      reconcileDriftLeft: 0,
    },
    components: {
      aggregatorInvocationsRetried: 4,
      pollerInvocationsFailed: 1,
      batchesGivenUp: 1,
      recordsGivenUp: 200,
    },
    deadLettered: 3,
    deadLetterReasons: {},
    unpublished: 5,
    unpublishedExcused: 5,
    unpublishedRange: "-",
    everyLakeRowCounted: false,
    comparison: {
      lost: 0,
      duplicated: 0,
      grainsCompared: 10,
      grainsDiffering: 0,
      spendDiffCents: 0,
      examples: [],
    },
    recoverySeconds: 12,
    componentsCrashed: [],
  };

  it("passes a clean run", () => {
    expect(integrityFailures(passing)).toEqual([]);
  });

  it("names every failure", () => {
    const failures = integrityFailures({
      ...passing,
      deadLettered: 2,
      comparison: {
        ...(passing.comparison as NonNullable<IntegrityReport["comparison"]>),
        lost: 3,
        duplicated: 1,
      },
      recoverySeconds: undefined,
      componentsCrashed: ["bridge"],
      tally: { ...passing.tally, reconcileDriftLeft: 2 },
    });
    expect(failures).toEqual([
      "3 events lost",
      "1 events counted twice",
      "3 poison records injected but 2 dead-lettered",
      "did not converge before the deadline",
      "components left crashed: bridge",
      "2 rows still missing after the reconcile pass",
    ]);
  });

  it("fails a run whose warehouse could not be compared at all", () => {
    expect(integrityFailures({ ...passing, comparison: undefined })).toEqual([
      "the warehouse could not be compared with the lake",
    ]);
  });
});
