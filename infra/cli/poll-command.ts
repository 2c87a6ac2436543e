import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { createPoller } from "../../functions/cdc-poller/dependencies.js";
import { powertoolsLog } from "../../lib/adapters/logging/powertools-log.js";
import { loadConfig } from "../../lib/config/index.js";
import { runPollerInvocation } from "../../lib/use-cases/cdc/run-invocation.js";
import { killBeforeCommit } from "./kill-before-commit.js";

/**
 * Runs the CDC poller outside Lambda for `durationSec` (0 = until Ctrl-C), as back-to-back
 * "invocations" of `invocationSec` each, like the one-minute schedule does. A failed invocation is
 * logged and followed by the next one (the schedule would invoke it again), so the process keeps running.
 */
export interface PollCommandOptions {
  readonly durationSec: number;
  readonly invocationSec: number;
  /** Test-only: SIGKILL this process before committing the N-th transaction with events. */
  readonly killBeforeCommit?: number;
}

export async function pollCommand(o: PollCommandOptions): Promise<void> {
  const { durationSec, invocationSec } = o;
  const config = loadConfig();
  const logger = new Logger({ serviceName: "cdc-poller" });
  const log = powertoolsLog(logger);
  const runtime = createPoller(
    config,
    log,
    o.killBeforeCommit ? { decorateChangeLog: killBeforeCommit(o.killBeforeCommit) } : {},
  );
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  const until = durationSec > 0 ? Date.now() + durationSec * 1000 : Number.POSITIVE_INFINITY;
  try {
    while (!stop.signal.aborted && Date.now() < until - 1000) {
      const invocationEnd = Math.min(until, Date.now() + invocationSec * 1000);
      try {
        await runPollerInvocation(
          runtime.session,
          {
            remainingMs: () => invocationEnd - Date.now(),
            safetyMarginMs: 0,
            pollIntervalMs: config.cdc.pollIntervalMs,
            signal: stop.signal,
          },
          log,
        );
      } catch (err) {
        // Like a failed scheduled invocation: nothing was committed; the next one starts from the checkpoint.
        log.error("poller invocation failed; the next one starts in 1 s", {
          error: err instanceof Error ? err.message : String(err),
        });
        await sleep(1_000);
      }
    }
  } finally {
    await runtime.close();
  }
}
