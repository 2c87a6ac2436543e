import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startServerlessOffline } from "../local/serverless-offline-process.js";
import { PROJECT_ROOT } from "../servers/project-paths.js";
import { intBetween, type Rng } from "../tooling/generator/random.js";
import { type ComponentEventCounts, countComponentEvents, logRecords } from "./component-events.js";

/** The pipeline's three processes, each killable on its own. */
export const COMPONENTS = ["poller", "bridge", "aggregator"] as const;
export type Component = (typeof COMPONENTS)[number];

const DESCRIPTION: Record<Component, string> = {
  poller: "CDC poller (`jtp poll`, scheduled-invocation loop)",
  bridge: "Kafka event source mapping bridge (`jtp local-aws --no-schedule`)",
  aggregator: "aggregator (serverless offline)",
};

export interface KillPlan {
  /** Fraction of the load period (0..1) at which to kill. */
  readonly at: number;
  readonly component: Component;
  /** How long the component stays dead before it is restarted. */
  readonly downMs: number;
}

/**
 * `count` kill -9s at random moments in [from, to] of the load period, drawn from `rng`. Every
 * component is killed at least once when count >= 3 (the targets are a shuffled round-robin).
 */
export function randomKillPlan(rng: Rng, count: number, from = 0.05, to = 0.9): KillPlan[] {
  const targets: Component[] = Array.from(
    { length: count },
    (_, i) => COMPONENTS[i % COMPONENTS.length] ?? "poller",
  );
  for (let i = targets.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [targets[i], targets[j]] = [targets[j] ?? "poller", targets[i] ?? "poller"];
  }
  return targets
    .map((component) => ({ at: from + rng() * (to - from), component, downMs: intBetween(rng, 200, 3_000) }))
    .sort((a, b) => a.at - b.at);
}

/**
 * Runs the poller, the bridge and serverless offline (the aggregator) as separate child processes with
 * their output in log files under `runDir`, and kills/restarts any one of them.
 */
export class ComponentProcesses {
  private poller: ChildProcess | undefined;
  private bridge: ChildProcess | undefined;
  private offline: { child: ChildProcess; stop: () => Promise<void> } | undefined;
  readonly logs: Record<Component, string>;
  private readonly bridgeReadyFile: string;

  constructor(
    private readonly runDir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly bridgeArgs: readonly string[],
  ) {
    mkdirSync(runDir, { recursive: true });
    this.bridgeReadyFile = path.join(runDir, "bridge.ready");
    this.logs = {
      poller: path.join(runDir, "poller.log"),
      bridge: path.join(runDir, "bridge.log"),
      aggregator: path.join(runDir, "offline", "serverless-offline.log"),
    };
  }

  static describe(c: Component): string {
    return DESCRIPTION[c];
  }

  async startAll(): Promise<void> {
    await this.start("aggregator");
    await this.start("bridge");
    await this.start("poller");
  }

  async start(c: Component): Promise<void> {
    if (c === "aggregator") {
      this.offline = await startServerlessOffline(this.runDir, this.env);
    } else if (c === "bridge") {
      rmSync(this.bridgeReadyFile, { force: true });
      this.bridge = this.spawnJtp(
        ["local-aws", "--no-schedule", "--ready-file", this.bridgeReadyFile, ...this.bridgeArgs],
        this.logs.bridge,
      );
    } else {
      this.poller = this.spawnJtp(["poll", "--invocation", "30"], this.logs.poller);
    }
  }

  kill(c: Component): void {
    const child = c === "aggregator" ? this.offline?.child : c === "bridge" ? this.bridge : this.poller;
    child?.kill("SIGKILL");
  }

  /**
   * Makes the bridge give up its next batch, as an event source mapping does after its retries
   * (SIGUSR2). Only once the bridge process says it runs: before its handler exists, SIGUSR2 would
   * end the process.
   */
  giveUpNextBridgeBatch(): boolean {
    const bridge = this.bridge;
    if (!bridge || !running(bridge) || !this.bridgeReady(bridge)) return false;
    return bridge.kill("SIGUSR2");
  }

  /** Batches the bridge logged as given up so far (all its runs). */
  batchesGivenUp(): number {
    return this.events().batchesGivenUp;
  }

  /** The bridge process wrote its ready file (it runs and handles SIGUSR2). */
  private bridgeReady(bridge: ChildProcess): boolean {
    try {
      return (JSON.parse(readFileSync(this.bridgeReadyFile, "utf8")) as { pid?: number }).pid === bridge.pid;
    } catch {
      return false;
    }
  }

  /** Components whose process has exited on its own (not running now). */
  crashed(): Component[] {
    const gone = (c: ChildProcess | undefined) => !c || !running(c);
    const out: Component[] = [];
    if (gone(this.offline?.child)) out.push("aggregator");
    if (gone(this.bridge)) out.push("bridge");
    if (gone(this.poller)) out.push("poller");
    return out;
  }

  /**
   * Stops every component that is running (SIGINT, then SIGKILL after 10 s): the suite never leaves
   * processes behind. Safe to call in a `finally` whatever state the run is in, and more than once.
   */
  async stopAll(): Promise<void> {
    const children = [this.poller, this.bridge].filter((c): c is ChildProcess => c !== undefined);
    for (const c of children) if (running(c)) c.kill("SIGINT");
    try {
      await this.offline?.stop();
    } catch {
      this.offline?.child.kill("SIGKILL");
    }
    for (let i = 0; i < 100 && children.some(running); i++) await sleep(100);
    for (const c of children) if (running(c)) c.kill("SIGKILL");
  }

  /** What the components' own structured log records say happened (retries, failures, audit reports). */
  events(): ComponentEventCounts {
    return countComponentEvents({
      poller: logRecords(this.logs.poller),
      bridge: logRecords(this.logs.bridge),
      aggregator: logRecords(this.logs.aggregator),
    });
  }

  private spawnJtp(args: readonly string[], logFile: string): ChildProcess {
    const out = createWriteStream(logFile, { flags: "a" });
    const child = spawn(process.execPath, ["--import", "tsx", "bin/jtp.ts", ...args], {
      cwd: PROJECT_ROOT,
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    return child;
  }
}

function running(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null;
}
