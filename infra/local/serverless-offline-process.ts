import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PROJECT_ROOT } from "../servers/project-paths.js";

const OFFLINE_HOST = "127.0.0.1";
/** serverless.yml's `custom.serverless-offline.lambdaPort`. */
const DEFAULT_LAMBDA_PORT = 3002;
export const OFFLINE_LAMBDA_ENDPOINT = `http://${OFFLINE_HOST}:${DEFAULT_LAMBDA_PORT}`;

/** Function name serverless-offline exposes: <service>-<stage>-<function>. */
export function offlineFunctionName(fn: "cdcPoller" | "aggregator" | "reconciler", stage = "local"): string {
  return `job-tracking-pipeline-${stage}-${fn}`;
}

export interface OfflineOptions {
  readonly timeoutMs?: number;
  /**
   * What to do when the Lambda port (3002) is already taken, e.g. by another `npm start` or the
   * integrity suite: `fail` (default) says so and stops; `free-port` runs on free ports instead
   * (use the returned endpoint). Never silently invoke someone else's functions.
   */
  readonly whenPortTaken?: "fail" | "free-port";
}

export interface OfflineProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Where the functions can be invoked (aws-sdk Lambda endpoint). */
  readonly endpoint: string;
  /** True when the default port was taken and free ports are used instead. */
  readonly movedFromDefaultPort: boolean;
  stop(): Promise<void>;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, OFFLINE_HOST, () => server.close(() => resolve(true)));
  });
}

/** `count` distinct ports the system reports free right now. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import("node:net").Server>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, OFFLINE_HOST, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    return typeof address === "object" && address ? address.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/**
 * Runs `serverless offline start --stage local` as a child process (its output in a log file) and
 * waits until its Lambda endpoint answers. Stop with SIGINT to the child itself.
 */
export async function startServerlessOffline(
  stateDir: string,
  env: NodeJS.ProcessEnv,
  timeoutOrOptions: number | OfflineOptions = {},
): Promise<OfflineProcess> {
  const options = typeof timeoutOrOptions === "number" ? { timeoutMs: timeoutOrOptions } : timeoutOrOptions;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const dir = path.join(stateDir, "offline");
  mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, "serverless-offline.log");
  let portArgs: string[] = [];
  let lambdaPort = DEFAULT_LAMBDA_PORT;
  if (!(await portIsFree(DEFAULT_LAMBDA_PORT))) {
    if (options.whenPortTaken !== "free-port") {
      throw new Error(
        `port ${DEFAULT_LAMBDA_PORT} (serverless-offline's Lambda endpoint) is taken by another process, probably another \`npm start\`, bench or integrity run: stop it first (ss -ltnp | grep ${DEFAULT_LAMBDA_PORT})`,
      );
    }
    const [lambda, http, websocket, alb] = await freePorts(4);
    lambdaPort = lambda ?? 0;
    portArgs = [
      "--lambdaPort",
      String(lambda),
      "--httpPort",
      String(http),
      "--websocketPort",
      String(websocket),
      "--albPort",
      String(alb),
    ];
  }
  const endpoint = `http://${OFFLINE_HOST}:${lambdaPort}`;
  const out = createWriteStream(logFile, { flags: "a" });
  const child = spawn(
    process.execPath,
    [
      path.join(PROJECT_ROOT, "node_modules", "serverless", "bin", "serverless.js"),
      "offline",
      "start",
      "--stage",
      "local",
      // The functions see this process's whole environment (CDC_*, AGG_*, RECONCILE_* …), as the
      // jtp commands do; without it only the variables serverless.yml lists reach them.
      "--localEnvironment",
      ...portArgs,
    ],
    { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`serverless offline exited during start-up; see ${logFile}`);
    try {
      const r = await fetch(`${endpoint}/2015-03-31/functions/none/invocations`, {
        method: "POST",
        body: "{}",
      });
      if (r.status > 0) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) {
      child.kill("SIGINT");
      throw new Error(
        `serverless offline did not listen on ${endpoint} within ${timeoutMs / 1000} s; see ${logFile}`,
      );
    }
    await sleep(300);
  }
  return {
    child,
    logFile,
    endpoint,
    movedFromDefaultPort: portArgs.length > 0,
    stop: async () => {
      if (exited) return;
      child.kill("SIGINT");
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      if (!exited) child.kill("SIGKILL");
    },
  };
}
