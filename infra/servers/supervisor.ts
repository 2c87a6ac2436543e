import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ServerError } from "./server-error.js";

/** Process bookkeeping shared by the local servers: pid files, detached spawn, health waits, stop. */

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped) still answers kill(0): check its state.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return true;
  }
}

/** The live pid recorded in `pidFile`, or undefined (removing a stale file). */
export function livePid(pidFile: string): number | undefined {
  const pid = readPid(pidFile);
  if (pid === undefined) return undefined;
  if (isAlive(pid)) return pid;
  rmSync(pidFile, { force: true });
  return undefined;
}

/** Resident set size of a process in MiB, from /proc. */
export function residentMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export interface SpawnSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly logFile: string;
  readonly pidFile: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts a long-running server detached from this process, stdout+stderr appended to its log file. */
export function spawnDetached(spec: SpawnSpec): number {
  mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, "a");
  try {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      detached: true,
      stdio: ["ignore", fd, fd],
      env: spec.env ?? process.env,
    });
    if (child.pid === undefined) throw new Error(`could not spawn ${spec.command}`);
    child.unref();
    writeFileSync(spec.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return "(no log yet)";
  const text = readFileSync(file, "utf8");
  return text.split("\n").slice(-lines).join("\n");
}

export interface WaitOptions {
  readonly server: string;
  readonly timeoutMs: number;
  readonly pid: number;
  readonly logFile: string;
  readonly hint: string;
}

/** Polls `check` until it returns true; fails fast if the process dies, or after the timeout, naming the log. */
export async function waitHealthy(check: () => Promise<boolean>, o: WaitOptions): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (!isAlive(o.pid)) {
      throw new ServerError(
        o.server,
        `exited during start-up. Log: ${o.logFile}\n--- last lines ---\n${tail(o.logFile)}\n---\nLikely fix: ${o.hint}`,
        { logFile: o.logFile },
      );
    }
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > o.timeoutMs) {
      throw new ServerError(
        o.server,
        `not healthy after ${Math.round(o.timeoutMs / 1000)} s (pid ${o.pid} still running). Log: ${o.logFile}\n` +
          `--- last lines ---\n${tail(o.logFile)}\n---\nLikely fix: ${o.hint}`,
        { logFile: o.logFile },
      );
    }
    await sleep(500);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
export async function stopPid(pid: number, graceMs: number): Promise<"stopped" | "killed"> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return "stopped";
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return "stopped";
    await sleep(200);
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
  while (isAlive(pid)) await sleep(100);
  return "killed";
}

/** Runs a short command synchronously; throws ServerError with its output on failure. */
export function run(
  server: string,
  command: string,
  args: readonly string[],
  options: { cwd?: string; input?: string; hint: string; env?: NodeJS.ProcessEnv },
): string {
  const r = spawnSync(command, [...args], {
    cwd: options.cwd,
    input: options.input,
    encoding: "utf8",
    env: options.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error || r.status !== 0) {
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.split("\n").slice(-30).join("\n");
    throw new ServerError(
      server,
      `\`${command} ${args.join(" ")}\` failed (${r.error?.message ?? `exit ${r.status}`}).\n${out}\nLikely fix: ${options.hint}`,
      { cause: r.error },
    );
  }
  return r.stdout;
}

/** Absolute path of an executable on PATH (or in the usual sbin folders), or undefined. */
export function which(bin: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/bin", "/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = path.join(dir, bin);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
