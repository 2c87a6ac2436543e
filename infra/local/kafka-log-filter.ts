import { type LogEntry, logLevel } from "kafkajs";
import type { Log } from "../../lib/use-cases/ports/log.js";

/**
 * Broker answers that are part of normal life and that kafkajs retries on its own: a coordinator
 * still loading or moving (the first minutes of a fresh broker), a group rebalancing while members
 * join or leave. They are logged at debug, not as the ERROR lines kafkajs prints by default.
 */
export const TRANSIENT_KAFKA_ERRORS: readonly RegExp[] = [
  /group coordinator is not available/i,
  /coordinator is loading/i,
  /not the correct coordinator/i,
  /group is rebalancing/i,
  /coordinator is not aware of this member/i,
  /generation id is not valid/i,
  /leadership election/i,
];

export interface KafkaLogFilterOptions {
  /**
   * How long one transient answer may keep coming back before it is reported once as a WARN
   * (a coordinator that never comes up is not transient). Default 30 s.
   */
  readonly persistentAfterMs?: number;
  /** Clock, epoch ms (default Date.now). */
  readonly now?: () => number;
}

/** What kafkajs says, as one string: the message and the broker's error, if any. */
function describe(entry: LogEntry): { text: string; error: string | undefined } {
  const { message, error } = entry.log as { message?: unknown; error?: unknown };
  const err = typeof error === "string" ? error : error instanceof Error ? error.message : undefined;
  return { text: `${String(message ?? "")}${err ? `: ${err}` : ""}`, error: err };
}

export function isTransientKafkaLog(entry: LogEntry): boolean {
  const { text } = describe(entry);
  return TRANSIENT_KAFKA_ERRORS.some((re) => re.test(text));
}

/**
 * A kafkajs `logCreator` that sends kafkajs's log to our Log: known-transient errors at debug
 * (and once as a WARN if the same one keeps coming back for longer than `persistentAfterMs`),
 * every other error and warning as it is, so a real problem stays visible.
 */
export function filteringLogCreator(log: Log, options: KafkaLogFilterOptions = {}) {
  const persistentAfterMs = options.persistentAfterMs ?? 30_000;
  const now = options.now ?? Date.now;
  /** Per transient pattern: when its current streak began, the last time seen, count, reported. */
  const streaks = new Map<RegExp, { since: number; last: number; count: number; reported: boolean }>();
  return (_level: logLevel) =>
    (entry: LogEntry): void => {
      const { text, error } = describe(entry);
      const { message: _m, timestamp: _t, logger: _l, ...extra } = entry.log as Record<string, unknown>;
      const fields = { ...extra, kafkaNamespace: entry.namespace };
      const pattern = TRANSIENT_KAFKA_ERRORS.find((re) => re.test(text));
      if (pattern && (entry.level === logLevel.ERROR || entry.level === logLevel.WARN)) {
        const t = now();
        let s = streaks.get(pattern);
        if (!s || t - s.last > persistentAfterMs) {
          s = { since: t, last: t, count: 0, reported: false };
          streaks.set(pattern, s);
        }
        s.last = t;
        s.count++;
        if (!s.reported && t - s.since >= persistentAfterMs) {
          s.reported = true;
          log.warn(
            `Kafka keeps answering "${error ?? text}" (${s.count} times in ${Math.round((t - s.since) / 1000)} s); kafkajs keeps retrying, but this is no longer a start-up delay: check the broker (npm run servers -- status)`,
            fields,
          );
          return;
        }
        log.debug(`kafkajs (transient, retried): ${text}`, fields);
        return;
      }
      switch (entry.level) {
        case logLevel.ERROR:
          log.error(`kafkajs: ${text}`, fields);
          return;
        case logLevel.WARN:
          log.warn(`kafkajs: ${text}`, fields);
          return;
        case logLevel.INFO:
          log.info(`kafkajs: ${text}`, fields);
          return;
        default:
          log.debug(`kafkajs: ${text}`, fields);
      }
    };
}
