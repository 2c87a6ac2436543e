import type { Config } from "../../config/index.js";
import type { SessionHooks } from "./cdc-poller-session.js";

/**
 * Test-only: CDC_FAULT_INJECTION=kill-before-commit makes the N-th transaction that carries events
 * SIGKILL its own process after the events are sent and before the commit: the harshest crash point.
 */
export function faultHooks(config: Config): SessionHooks {
  const { mode, afterTxns } = config.cdc.faultInjection;
  if (mode === "none") return {};
  let count = 0;
  return {
    beforeCommit: async () => {
      count++;
      if (count >= afterTxns) {
        process.stderr.write(`[fault-injection] SIGKILL before commit of transaction ${count}\n`);
        process.kill(process.pid, "SIGKILL");
        await new Promise(() => undefined); // never returns
      }
    },
  };
}
