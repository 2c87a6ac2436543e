/**
 * CPU of the components during a step of bench/reconcile-bench.ts: Cassandra, MariaDB and Kafka (the
 * local servers' pids, when this machine runs them) and the bench process itself, as % of one core.
 */
import { availableParallelism, loadavg } from "node:os";
import path from "node:path";
import { livePid } from "../infra/servers/supervisor.js";
import type { Config } from "../lib/config/index.js";
import { cpuSeconds } from "./process-usage.js";

export interface CpuMeter {
  start(): void;
  /** "cassandra 150 %, mariadb 20 %, …" over the `ms` since start(), and the 1-min load average. */
  stop(ms: number): string;
}

export function cpuMeter(config: Config): CpuMeter {
  const pids: Array<[string, number | undefined]> = [
    ...(["cassandra", "mariadb", "kafka"] as const).map((s): [string, number | undefined] => [
      s,
      livePid(path.join(config.stateDir, s, `${s}.pid`)),
    ]),
    ["bench (reconciler + aggregator)", process.pid],
  ];
  let before: Array<number | undefined> = [];
  return {
    start() {
      before = pids.map(([, pid]) => (pid === undefined ? undefined : cpuSeconds(pid)));
    },
    stop(ms) {
      const parts = pids.map(([name, pid], i) => {
        const b = before[i];
        const a = pid === undefined ? undefined : cpuSeconds(pid);
        return a === undefined || b === undefined
          ? `${name} -`
          : `${name} ${Math.round(((a - b) / (ms / 1000)) * 100)} %`;
      });
      return `${parts.join(", ")} (of one core; load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores)`;
    },
  };
}
