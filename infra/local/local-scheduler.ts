import { setTimeout as sleep } from "node:timers/promises";
import type { Log } from "../../lib/use-cases/ports/log.js";
import type { Invoker } from "./lambda-invoker.js";

/**
 * Stand-in for the EventBridge rate(1 minute) schedule: invokes the poller back to back (each
 * invocation polls until its timeout's safety margin), so there is always exactly one running.
 * serverless-offline's own cron only fires on minute boundaries, hence this.
 */
export class LocalScheduler {
  invocations = 0;
  failures = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly invoker: Invoker,
    private readonly functionName: string,
    private readonly log: Log,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          await this.invoker.invoke(this.functionName, {
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
        } catch (err) {
          if (this.stopped) {
            // shutting down: the functions were stopped under the running invocation
            this.log.info("scheduler stopped during a poller invocation", { error: (err as Error).message });
            break;
          }
          this.failures++;
          this.log.warn("scheduled poller invocation failed; the next one starts in 2 s", {
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
    if (waitForRunning) await this.loop;
  }
}
