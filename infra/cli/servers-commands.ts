import { type Config, loadConfig } from "../../lib/config/index.js";
import { ensureLocalSecrets } from "../servers/local-secrets.js";
import type { ServerStatus, StartResult } from "../servers/local-server.js";
import { selectServers } from "../servers/registry.js";

const log = (line: string) => console.log(`[servers] ${line}`);

/** Loads config; for local MariaDB first makes sure generated passwords exist. */
export function configForLocalServers(): Config {
  const first = loadConfig();
  if (first.localServers.includes("mariadb")) ensureLocalSecrets(first.stateDir);
  return loadConfig();
}

export async function installServers(names: string[]): Promise<void> {
  const config = configForLocalServers();
  for (const s of selectServers(config, names)) await s.install(log);
  log("installed");
}

/** Starts the selected servers concurrently (Cassandra is the slow one) and prints a start-time table. */
export async function startServers(names: string[]): Promise<StartResult[]> {
  const config = configForLocalServers();
  const servers = selectServers(config, names);
  if (servers.length === 0) {
    log("no local servers configured (JTP_LOCAL_SERVERS=none): using external ones");
    return [];
  }
  // Install one after the other (Maven/apt output stays readable), then start in parallel.
  for (const s of servers) await s.install(log);
  const results = await Promise.allSettled(servers.map((s) => s.start(log)));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failures.length > 0) {
    for (const f of failures) console.error(String(f.reason instanceof Error ? f.reason.message : f.reason));
    throw new Error(`${failures.length} server(s) failed to start`);
  }
  const ok = results.map((r) => (r as PromiseFulfilledResult<StartResult>).value);
  for (const r of ok) {
    log(
      `${r.name.padEnd(10)} ${r.alreadyRunning ? "already running" : `started in ${(r.startMs / 1000).toFixed(1)} s`} (pid ${r.pid})`,
    );
  }
  return ok;
}

export async function serverStatus(): Promise<ServerStatus[]> {
  const config = loadConfig();
  const all = await Promise.all(selectServers(config, []).map((s) => s.status()));
  console.log("server     state     health   pid      rss MiB  endpoint              log");
  for (const s of all) {
    console.log(
      [
        s.name.padEnd(10),
        (s.running ? "running" : "stopped").padEnd(9),
        (s.healthy ? "ok" : s.running ? "DOWN" : "-").padEnd(8),
        String(s.pid ?? "-").padEnd(8),
        String(s.rssMiB ?? "-").padEnd(8),
        s.endpoint.padEnd(21),
        s.logFile,
      ].join(" "),
    );
  }
  return all;
}

export async function stopServers(names: string[]): Promise<void> {
  const config = loadConfig();
  // Reverse start order; stop concurrently, each with its own grace period.
  await Promise.all(selectServers(config, names).map((s) => s.stop(log)));
  log("stopped");
}
