import type { ChangeLog } from "../../lib/use-cases/cdc/poller-ports.js";

/**
 * Test-only fault injection, wired by `jtp poll --kill-before-commit N` (never by the Lambda): the N-th
 * transaction that carries events SIGKILLs its own process after the events are sent and before the
 * commit, the harshest crash point for exactly-once.
 */
export function killBeforeCommit(afterTxns: number): (changeLog: ChangeLog) => ChangeLog {
  return (inner) => {
    let count = 0;
    return {
      ...inner,
      publish: (messages, checkpoints, hooks) =>
        inner.publish(messages, checkpoints, {
          beforeCommit: async () => {
            await hooks?.beforeCommit?.();
            if (messages.length === 0) return;
            count++;
            if (count < afterTxns) return;
            process.stderr.write(`[fault-injection] SIGKILL before commit of transaction ${count}\n`);
            process.kill(process.pid, "SIGKILL");
            await new Promise(() => undefined); // never returns
          },
        }),
    };
  };
}
