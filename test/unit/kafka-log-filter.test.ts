import { type LogEntry, logLevel } from "kafkajs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { filteringLogCreator, isTransientKafkaLog } from "../../infra/local/kafka-log-filter.js";
import type { Log } from "../../lib/use-cases/ports/log.js";

function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`);
  };
  return { lines, debug: at("DEBUG"), info: at("INFO"), warn: at("WARN"), error: at("ERROR") };
}

function entry(level: logLevel, message: string, error?: string): LogEntry {
  return {
    namespace: "Connection",
    level,
    label: logLevel[level] ?? "ERROR",
    log: { timestamp: new Date().toISOString(), message, ...(error ? { error } : {}) },
  };
}

/** What kafkajs 2.2.4 logs while a consumer joins its group on a broker that has just started. */
const COORDINATOR_NOT_AVAILABLE = entry(
  logLevel.ERROR,
  "[Connection] Response GroupCoordinator(key: 10, version: 2)",
  "The group coordinator is not available",
);

describe("kafkajs log filter", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 11, 1, 12, 0, 0));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("knows the start-up answers kafkajs retries on its own", () => {
    expect(isTransientKafkaLog(COORDINATOR_NOT_AVAILABLE)).toBe(true);
    expect(
      isTransientKafkaLog(
        entry(
          logLevel.ERROR,
          "[Connection] Response InitProducerId(key: 22, version: 1)",
          "The coordinator is loading and hence can't process requests for this group",
        ),
      ),
    ).toBe(true);
    expect(isTransientKafkaLog(entry(logLevel.WARN, "[Runner] The group is rebalancing, re-joining"))).toBe(
      true,
    );
    expect(
      isTransientKafkaLog(entry(logLevel.ERROR, "[Connection] Connection error: connect ECONNREFUSED")),
    ).toBe(false);
  });

  it("logs a transient start-up error at debug, so a normal start prints no ERROR line", () => {
    const log = recordingLog();
    const write = filteringLogCreator(log)(logLevel.ERROR);
    write(COORDINATOR_NOT_AVAILABLE);
    vi.advanceTimersByTime(300);
    write(COORDINATOR_NOT_AVAILABLE);
    expect(log.lines).toEqual([
      "DEBUG kafkajs (transient, retried): [Connection] Response GroupCoordinator(key: 10, version: 2): The group coordinator is not available",
      "DEBUG kafkajs (transient, retried): [Connection] Response GroupCoordinator(key: 10, version: 2): The group coordinator is not available",
    ]);
  });

  it("says once, as a WARN, when the same transient answer keeps coming back past the grace period", () => {
    const log = recordingLog();
    const write = filteringLogCreator(log, { persistentAfterMs: 30_000 })(logLevel.ERROR);
    for (let i = 0; i < 40; i++) {
      write(COORDINATOR_NOT_AVAILABLE);
      vi.advanceTimersByTime(1_000);
    }
    const warnings = log.lines.filter((l) => l.startsWith("WARN"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      'Kafka keeps answering "The group coordinator is not available" (31 times in 30 s)',
    );
    expect(log.lines.filter((l) => l.startsWith("DEBUG"))).toHaveLength(39);
  });

  it("starts a new streak after a quiet spell: a later short burst stays at debug", () => {
    const log = recordingLog();
    const write = filteringLogCreator(log, { persistentAfterMs: 10_000 })(logLevel.ERROR);
    write(COORDINATOR_NOT_AVAILABLE);
    vi.advanceTimersByTime(9_000);
    write(COORDINATOR_NOT_AVAILABLE);
    vi.advanceTimersByTime(60_000);
    write(COORDINATOR_NOT_AVAILABLE);
    vi.advanceTimersByTime(5_000);
    write(COORDINATOR_NOT_AVAILABLE);
    expect(log.lines.every((l) => l.startsWith("DEBUG"))).toBe(true);
  });

  it("keeps every other error and warning visible at its level", () => {
    const log = recordingLog();
    const write = filteringLogCreator(log)(logLevel.ERROR);
    write(entry(logLevel.ERROR, "[Connection] Connection error: connect ECONNREFUSED 127.0.0.1:9092"));
    write(entry(logLevel.WARN, "[Consumer] Crash: KafkaJSNumberOfRetriesExceeded", "Topic not found"));
    expect(log.lines).toEqual([
      "ERROR kafkajs: [Connection] Connection error: connect ECONNREFUSED 127.0.0.1:9092",
      "WARN kafkajs: [Consumer] Crash: KafkaJSNumberOfRetriesExceeded: Topic not found",
    ]);
  });
});
