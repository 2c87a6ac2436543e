import { setTimeout as sleep } from "node:timers/promises";
import type { Log } from "../../lib/use-cases/ports/log.js";
import type { Invoker } from "./lambda-invoker.js";

export interface LocalScheduleOptions {
  /** Pause between the end of one invocation and the start of the next (default 0: back to back). */
  readonly intervalMs?: number;
  /** Called with each successful invocation's response (e.g. the poller's invocation summary). */
  readonly onResult?: (result: unknown) => void;
}

/**
 * Stand-in for an EventBridge schedule: invokes a function over and over, one invocation at a time.
 * The poller runs back to back (each invocation polls until its timeout's safety margin), so there is
 * always exactly one running; the reconciler with a pause in between. serverless-offline's own cron
 * only fires on minute boundaries, hence this.
 */
export class LocalScheduler {
  invocations = 0;
  failures = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly pause = new AbortController();

  constructor(
    private readonly invoker: Invoker,
    private readonly functionName: string,
    private readonly log: Log,
    private readonly options: LocalScheduleOptions = {},
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const result = await this.invoker.invoke(this.functionName, {
            version: "0",
            id: `local-${Date.now()}`,
            "detail-type": "Scheduled Event",
            source: "aws.events",
            time: new Date().toISOString(),
            region: "local",
            resources: ["local-schedule"],
            detail: {},
          });
          this.invocations++;
          this.options.onResult?.(result);
          const interval = this.options.intervalMs ?? 0;
          if (interval > 0)
            await sleep(interval, undefined, { signal: this.pause.signal }).catch(() => undefined);
        } catch (err) {
          if (this.stopped) {
            // shutting down: the functions were stopped under the running invocation
            this.log.info("scheduler stopped during a poller invocation", { error: (err as Error).message });
            break;
          }
          this.failures++;
          this.log.warn("scheduled invocation failed; the next one starts in 2 s", {
            function: this.functionName,
            error: (err as Error).message,
          });
          await sleep(2_000);
        }
      }
    })();
  }

  /** Stops scheduling; the running invocation finishes on its own time budget. */
  async stop(waitForRunning = false): Promise<void> {
    this.stopped = true;
    this.pause.abort();
    if (waitForRunning) await this.loop;
  }
}
