import type { Config, LocalServerName } from "../../lib/config/index.js";
import { CassandraServer } from "./cassandra-server.js";
import { KafkaServer } from "./kafka-server.js";
import type { LocalServer } from "./local-server.js";
import { MariaDbServer } from "./mariadb-server.js";

export function localServer(config: Config, name: LocalServerName): LocalServer {
  switch (name) {
    case "kafka":
      return new KafkaServer(config);
    case "cassandra":
      return new CassandraServer(config);
    case "mariadb":
      return new MariaDbServer(config);
  }
}

/** The servers named (default: every server the config says is local), in start order. */
export function selectServers(config: Config, names: readonly string[]): LocalServer[] {
  const wanted = names.length > 0 ? names : config.localServers;
  const unknown = wanted.filter((n) => !(["kafka", "cassandra", "mariadb"] as string[]).includes(n));
  if (unknown.length > 0)
    throw new Error(`unknown server(s): ${unknown.join(", ")} (expected kafka, cassandra, mariadb)`);
  return (["cassandra", "kafka", "mariadb"] as const)
    .filter((n) => wanted.includes(n))
    .map((n) => localServer(config, n));
}
