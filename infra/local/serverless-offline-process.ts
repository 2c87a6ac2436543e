import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PROJECT_ROOT } from "../servers/project-paths.js";

export const OFFLINE_LAMBDA_ENDPOINT = "http://127.0.0.1:3002";

/** Function name serverless-offline exposes: <service>-<stage>-<function>. */
export function offlineFunctionName(fn: "cdcPoller" | "aggregator", stage = "local"): string {
  return `job-tracking-pipeline-${stage}-${fn}`;
}

/**
 * Runs `serverless offline start --stage local` as a child process (its output in a log file) and
 * waits until its Lambda endpoint answers. Stop with SIGINT to the child itself.
 */
export async function startServerlessOffline(
  stateDir: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<{ child: ChildProcess; logFile: string; stop: () => Promise<void> }> {
  const dir = path.join(stateDir, "offline");
  mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, "serverless-offline.log");
  const out = createWriteStream(logFile, { flags: "a" });
  const child = spawn(
    process.execPath,
    [
      path.join(PROJECT_ROOT, "node_modules", "serverless", "bin", "serverless.js"),
      "offline",
      "start",
      "--stage",
      "local",
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
      const r = await fetch(`${OFFLINE_LAMBDA_ENDPOINT}/2015-03-31/functions/none/invocations`, {
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
        `serverless offline did not listen on ${OFFLINE_LAMBDA_ENDPOINT} within ${timeoutMs / 1000} s; see ${logFile}`,
      );
    }
    await sleep(300);
  }
  return {
    child,
    logFile,
    stop: async () => {
      if (exited) return;
      child.kill("SIGINT");
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      if (!exited) child.kill("SIGKILL");
    },
  };
}
