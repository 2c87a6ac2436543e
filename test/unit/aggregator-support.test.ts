import { describe, expect, it } from "vitest";
import { isConflict, isConnectionError, toPipelineError } from "../../lib/adapters/mysql/mysql-errors.js";
import { backoffDelayMs } from "../../lib/core/retry-backoff.js";
import { TtlCache } from "../../lib/core/ttl-cache.js";
import { TransactionConflictError, TransientError, WarehouseError } from "../../lib/errors.js";
import { retryConflicts } from "../../lib/use-cases/retry-conflicts.js";

const mysqlError = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields.code)), fields);

describe("MySQL error classification", () => {
  it("deadlock, lock-wait timeout and snapshot conflicts are retryable conflicts", () => {
    for (const errno of [1213, 1205, 1020]) {
      const e = toPipelineError(mysqlError({ errno, code: "X" }), "testing");
      expect(e).toBeInstanceOf(TransactionConflictError);
      expect((e as TransactionConflictError).sqlErrno).toBe(errno);
      expect(isConflict(mysqlError({ errno }))).toBe(true);
    }
  });

  it("connection failures are transient (the event source mapping retries the batch)", () => {
    for (const f of [
      { code: "ECONNREFUSED" },
      { code: "PROTOCOL_CONNECTION_LOST", fatal: true },
      { code: "ER_SERVER_SHUTDOWN", errno: 1053 },
      { errno: 1927 },
      { message: "Can't add new command when connection is in closed state" },
    ]) {
      expect(isConnectionError(mysqlError(f))).toBe(true);
      const e = toPipelineError(mysqlError(f), "testing");
      expect(e).toBeInstanceOf(TransientError);
      expect(e).not.toBeInstanceOf(TransactionConflictError);
      expect(e.cause).toBeDefined();
    }
  });

  it("anything else is a WarehouseError carrying its cause", () => {
    const cause = mysqlError({ code: "ER_NO_SUCH_TABLE", errno: 1146 });
    const e = toPipelineError(cause, "testing");
    expect(e).toBeInstanceOf(WarehouseError);
    expect(e.cause).toBe(cause);
    expect(e.message).toContain("ER_NO_SUCH_TABLE");
  });
});

describe("retry with backoff", () => {
  it("grows exponentially with full jitter and a cap", () => {
    const policy = { maxAttempts: 10, baseMs: 10, capMs: 100 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, policy, () => 0.999))).toEqual([
      9, 19, 39, 79, 99, 99,
    ]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
  });

  it("retries only conflicts, up to the attempt limit", async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const r = await retryConflicts(
      async () => {
        calls++;
        if (calls < 3) throw new TransactionConflictError("deadlock");
        return "ok";
      },
      { maxAttempts: 5, baseMs: 8, capMs: 100 },
      async (ms) => {
        sleeps.push(ms);
      },
      () => 0.5,
    );
    expect(r).toEqual({ value: "ok", attempts: 3 });
    expect(sleeps).toEqual([4, 8]);
    let other = 0;
    await expect(
      retryConflicts(
        async () => {
          other++;
          throw new TransientError("down");
        },
        { maxAttempts: 5, baseMs: 1, capMs: 1 },
        async () => undefined,
      ),
    ).rejects.toThrow("down");
    expect(other).toBe(1);
  });
});

describe("TtlCache", () => {
  it("expires entries and drops the oldest when full", () => {
    const c = new TtlCache<number, string>(2);
    c.set(1, "a", 100, 0);
    c.set(2, "b", 10, 0);
    expect(c.get(2, 9)).toBe("b");
    expect(c.get(2, 10)).toBeUndefined();
    c.set(3, "c", 100, 0);
    c.set(4, "d", 100, 0);
    expect(c.get(1, 1)).toBeUndefined();
    expect(c.get(4, 1)).toBe("d");
    expect(c.size).toBe(2);
    c.set(5, "e", 0, 0);
    expect(c.get(5, 0)).toBeUndefined();
  });
});
