import { afterEach, describe, expect, it, vi } from "vitest";
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
  afterEach(() => {
    vi.useRealTimers();
  });

  it("invokes the poller back to back until stopped", async () => {
    vi.useFakeTimers();
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
    // 30 ms of (fake) time: an invocation of 2 ms at 0, 2, ..., 30 ms.
    await vi.advanceTimersByTimeAsync(30);
    const stopping = scheduler.stop(true);
    await vi.advanceTimersByTimeAsync(2); // the running invocation finishes
    await stopping;
    expect(calls).toBe(16);
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
