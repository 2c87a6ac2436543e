import { createPoller } from "../../../functions/cdc-poller/dependencies.js";
import type { Config } from "../../../lib/config/index.js";
import { type InvocationSummary, runPollerInvocation } from "../../../lib/use-cases/cdc/run-invocation.js";
import { type Log, silentLog } from "../../../lib/use-cases/ports/log.js";

export interface InProcessPoller {
  /** The invocation's summary once it ends by itself (time budget spent, fenced). */
  readonly finished: Promise<InvocationSummary>;
  /** Aborts the invocation, waits for it and closes the poller's clients (once; later calls share it). */
  stop(): Promise<InvocationSummary>;
}

/**
 * The poller's wiring for `config` running one invocation in this process (as the Lambda handler
 * does: runPollerInvocation, no safety margin), polling every `pollIntervalMs` for up to
 * `remainingMs`, until stop().
 */
export function startInProcessPoller(
  config: Config,
  options: { remainingMs: number; pollIntervalMs?: number; log?: Log },
): InProcessPoller {
  const log = options.log ?? silentLog;
  const poller = createPoller(config, log);
  const ctrl = new AbortController();
  const finished = runPollerInvocation(
    poller.session,
    {
      remainingMs: () => options.remainingMs,
      safetyMarginMs: 0,
      pollIntervalMs: options.pollIntervalMs ?? config.cdc.pollIntervalMs,
      signal: ctrl.signal,
    },
    log,
  );
  let stopped: Promise<InvocationSummary> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      ctrl.abort();
      try {
        return await finished;
      } finally {
        await poller.close();
      }
    })();
    return stopped;
  };
  return { finished, stop };
}
