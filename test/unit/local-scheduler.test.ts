import { describe, expect, it } from "vitest";
import { LocalScheduler } from "../../infra/local/local-scheduler.js";
import type { Log } from "../../lib/use-cases/ports/log.js";

function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`);
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

describe("local scheduler (EventBridge stand-in)", () => {
  it("invokes the poller back to back until stopped", async () => {
    const log = recordingLog();
    let calls = 0;
    const scheduler = new LocalScheduler(
      {
        invoke: async () => {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 2));
        },
      },
      "cdcPoller",
      log,
    );
    scheduler.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await scheduler.stop(true);
    expect(calls).toBeGreaterThan(1);
    expect(scheduler.invocations).toBe(calls);
    expect(scheduler.failures).toBe(0);
  });

  it("does not report an invocation cut off by its own shutdown as a failure", async () => {
    const log = recordingLog();
    let fail: (e: Error) => void = () => undefined;
    const scheduler = new LocalScheduler(
      {
        invoke: () =>
          new Promise((_, reject) => {
            fail = reject;
          }),
      },
      "cdcPoller",
      log,
    );
    scheduler.start();
    const stopping = scheduler.stop(true);
    fail(new Error("socket hang up"));
    await stopping;
    expect(scheduler.failures).toBe(0);
    expect(log.lines).toEqual(["info scheduler stopped during a poller invocation"]);
  });
});
