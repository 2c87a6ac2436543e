import { describe, expect, it } from "vitest";
import { reconcileLine } from "../../infra/cli/status-command.js";

describe("jtp status: the reconciler line", () => {
  it("shows the newest pass with its counts, and says when there is none", () => {
    expect(reconcileLine(undefined)).toContain("no pass recorded yet");
    const line = reconcileLine({
      id: 7,
      mode: "scheduled",
      dryRun: false,
      fromMs: 0,
      toMs: 1,
      startedAtMs: Date.UTC(2026, 11, 1, 12, 0, 0),
      finishedAtMs: Date.UTC(2026, 11, 1, 12, 0, 3),
      status: "done",
      coveredUntilMs: 5,
      error: null,
      partitionsChecked: 20,
      rowsCompared: 4_000,
      missingFound: 3,
      republished: 3,
      deadLettered: 1,
      driftLeft: 0,
    });
    expect(line).toBe(
      "  reconciler: last pass #7 (scheduled) done at 2026-12-01T12:00:00.000Z: 20 partitions, 4000 rows compared, 3 missing, 3 re-published, 1 dead-lettered, drift left 0",
    );
  });
});
