import { setTimeout as sleep } from "node:timers/promises";
import { ProducerFencedError } from "../../errors.js";
import type { Log } from "../ports/log.js";
import type { CdcPollerSession, PollStats } from "./cdc-poller-session.js";

export interface InvocationBudget {
  /** Milliseconds left in this invocation (Lambda: context.getRemainingTimeInMillis). */
  readonly remainingMs: () => number;
  readonly safetyMarginMs: number;
  readonly pollIntervalMs: number;
  /** Stop early (tests, Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface InvocationSummary {
  readonly polls: number;
  readonly published: number;
  readonly rowsRead: number;
  readonly lateRows: number;
  /** Duration of each poll, in order (an invocation of a minute at the default interval: ~300). */
  readonly pollDurationsMs: readonly number[];
  /** now − create_time of the newest row published by the last poll that published; undefined if none. */
  readonly newestIngestLagMs: number | undefined;
  readonly state: "warm" | "rebuilt";
  readonly stoppedBy: "time" | "fenced" | "signal";
  readonly durationMs: number;
}

/**
 * One scheduled invocation: polls every `pollIntervalMs` until less than `safetyMarginMs` is left,
 * then returns. EventBridge fires at most once a minute; this loop gives sub-second freshness.
 * Transient errors propagate (the schedule retries; nothing was committed); a fenced poller stops quietly.
 */
export async function runPollerInvocation(
  session: CdcPollerSession,
  budget: InvocationBudget,
  log: Log,
): Promise<InvocationSummary> {
  const started = Date.now();
  const state = await session.ensureReady();
  let polls = 0;
  let published = 0;
  let rowsRead = 0;
  let lateRows = 0;
  const pollDurationsMs: number[] = [];
  let newestIngestLagMs: number | undefined;
  let stoppedBy: InvocationSummary["stoppedBy"] = "time";
  while (budget.remainingMs() > budget.safetyMarginMs) {
    if (budget.signal?.aborted) {
      stoppedBy = "signal";
      break;
    }
    const pollStarted = Date.now();
    let stats: PollStats;
    try {
      stats = await session.pollOnce();
    } catch (err) {
      if (err instanceof ProducerFencedError) {
        log.warn("another poller instance took over these shards; this one stops", { error: err.message });
        stoppedBy = "fenced";
        break;
      }
      throw err;
    }
    polls++;
    published += stats.published;
    rowsRead += stats.rowsRead;
    lateRows += stats.lateRows;
    pollDurationsMs.push(stats.durationMs);
    if (stats.newestIngestLagMs !== undefined) newestIngestLagMs = stats.newestIngestLagMs;
    if (stats.published > 0) {
      log.info("poll", {
        rowsRead: stats.rowsRead,
        published: stats.published,
        lateRows: stats.lateRows,
        durationMs: stats.durationMs,
        eventLagMs: stats.eventLagMs,
        ingestLagMs: stats.ingestLagMs,
        positions: stats.positions,
      });
    } else {
      log.debug("poll", { durationMs: stats.durationMs, positions: stats.positions });
    }
    // A full batch means a backlog: poll again at once.
    const wait = stats.backlog ? 0 : budget.pollIntervalMs - (Date.now() - pollStarted);
    if (wait > 0) await sleep(Math.min(wait, Math.max(0, budget.remainingMs() - budget.safetyMarginMs)));
  }
  const summary: InvocationSummary = {
    polls,
    published,
    rowsRead,
    lateRows,
    pollDurationsMs,
    newestIngestLagMs,
    state,
    stoppedBy,
    durationMs: Date.now() - started,
  };
  const { pollDurationsMs: _durations, ...loggable } = summary;
  log.info("poller invocation done", { ...loggable });
  return summary;
}
