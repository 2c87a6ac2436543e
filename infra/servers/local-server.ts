import type { LocalServerName } from "../../lib/config/index.js";

export interface ServerStatus {
  readonly name: LocalServerName;
  readonly running: boolean;
  readonly healthy: boolean;
  readonly pid: number | undefined;
  readonly rssMiB: number | undefined;
  readonly endpoint: string;
  readonly logFile: string;
}

export interface StartResult {
  readonly name: LocalServerName;
  readonly alreadyRunning: boolean;
  readonly startMs: number;
  readonly pid: number;
}

/** One server this project can install and run on loopback. Every operation is idempotent. */
export interface LocalServer {
  readonly name: LocalServerName;
  /** Fetches binaries/jars if missing. Safe to repeat. */
  install(log: (line: string) => void): Promise<void>;
  /** Installs if needed, starts if not running, waits until healthy. */
  start(log: (line: string) => void): Promise<StartResult>;
  status(): Promise<ServerStatus>;
  stop(log: (line: string) => void): Promise<void>;
}
