import { describe, expect, it } from "vitest";
import { ReconcileLab } from "./support/reconcile-harness.js";

/** A poison row found missing and re-published comes back dead-lettered, and the pass counts it so. */
describe("reconciler: re-published poison is counted as dead-lettered", () => {
  it("records dead_lettered = 1 for a pass that re-published one poison row", async () => {
    const lab = await ReconcileLab.open("jtp_t_rec_dl");
    try {
      await lab.startAggregator();
      const at = Date.now() - 60_000;
      await lab.lake.write(5, (i) => at + i);
      await lab.lake.writePoison(at + 10);
      const rt = lab.reconciler();
      const fromMs = at - 10_000;
      const toMs = Date.now();
      const report = await lab.cliPass(rt, fromMs, toMs);
      await lab.expectEachEventOnce();
      expect(report).toMatchObject({ missingFound: 6, republished: 6, deadLettered: 1, driftLeft: 0 });
      expect(await lab.pass(report.passId)).toMatchObject({ dead_lettered: 1, drift_left: 0 });
    } finally {
      await lab.close();
    }
  }, 60_000);
});
