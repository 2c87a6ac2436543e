import path from "node:path";
import type { LocalServerName } from "../../lib/config/index.js";
import type { LocalServer, ServerStatus, StartResult } from "./local-server.js";
import { livePid, residentMiB, stopPid, type WaitOptions, waitHealthy } from "./supervisor.js";

/**
 * What every local server shares: a folder under the state dir with a pid file and a log, a health
 * probe, idempotent start (a running server is only health-checked), status and a graceful stop.
 * Subclasses say how to install, launch and probe.
 */
export abstract class SupervisedServer implements LocalServer {
  abstract readonly name: LocalServerName;
  protected readonly dir: string;
  protected readonly logFile: string;
  protected readonly pidFile: string;

  protected constructor(
    stateDir: string,
    folder: string,
    protected readonly limits: { readonly startTimeoutMs: number; readonly stopGraceMs: number },
  ) {
    this.dir = path.join(stateDir, folder);
    this.logFile = path.join(this.dir, `${folder}.log`);
    this.pidFile = path.join(this.dir, `${folder}.pid`);
  }

  abstract install(log: (line: string) => void): Promise<void>;
  /** Starts the process (the server is known not to run) and returns its pid. */
  protected abstract launch(log: (line: string) => void): Promise<number>;
  /** A real client request that succeeds only when the server serves. */
  protected abstract healthy(): Promise<boolean>;
  /** host:port clients use. */
  protected abstract get endpoint(): string;
  /** The likely fix when start-up fails. */
  protected abstract get hint(): string;

  async start(log: (line: string) => void): Promise<StartResult> {
    const running = livePid(this.pidFile);
    if (running !== undefined) {
      const ms = await waitHealthy(
        () => this.healthy(),
        this.waitOptions(running, this.limits.startTimeoutMs),
      );
      return { name: this.name, alreadyRunning: true, startMs: ms, pid: running };
    }
    await this.install(log);
    const started = Date.now();
    const pid = await this.launch(log);
    await waitHealthy(() => this.healthy(), this.waitOptions(pid, this.limits.startTimeoutMs));
    const ms = Date.now() - started;
    log(`${this.name}: healthy in ${(ms / 1000).toFixed(1)} s (pid ${pid})`);
    return { name: this.name, alreadyRunning: false, startMs: ms, pid };
  }

  async status(): Promise<ServerStatus> {
    const pid = livePid(this.pidFile);
    return {
      name: this.name,
      running: pid !== undefined,
      healthy: pid !== undefined && (await this.healthy().catch(() => false)),
      pid,
      rssMiB: pid === undefined ? undefined : residentMiB(pid),
      endpoint: this.endpoint,
      logFile: this.logFile,
    };
  }

  async stop(log: (line: string) => void): Promise<void> {
    const pid = livePid(this.pidFile);
    if (pid === undefined) return;
    log(`${this.name}: stopping pid ${pid}`);
    log(`${this.name}: ${await stopPid(pid, this.limits.stopGraceMs)}`);
  }

  protected waitOptions(pid: number, timeoutMs: number): WaitOptions {
    return { server: this.name, timeoutMs, pid, logFile: this.logFile, hint: this.hint };
  }
}
