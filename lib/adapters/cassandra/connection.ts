import cassandra from "cassandra-driver";
import type { Config } from "../../config/index.js";
import { parseHostPort } from "../../config/index.js";

export type CassandraClient = cassandra.Client;

/** A cassandra-driver client for the configured contact points. `keyspace` is optional so migrations can create it. */
export function createCassandraClient(
  config: Config,
  options: { withKeyspace?: boolean } = {},
): CassandraClient {
  const points = config.cassandra.contactPoints.map(parseHostPort);
  const port = points[0]?.port ?? 9042;
  const clientOptions: cassandra.DseClientOptions = {
    contactPoints: points.map((p) => p.host),
    localDataCenter: config.cassandra.localDataCenter,
    protocolOptions: { port },
    socketOptions: { connectTimeout: 10_000, readTimeout: 12_000 },
    queryOptions: { consistency: cassandra.types.consistencies.localQuorum, prepare: true },
  };
  if (options.withKeyspace !== false) clientOptions.keyspace = config.cassandra.keyspace;
  if (config.cassandra.username !== undefined && config.cassandra.password !== undefined) {
    clientOptions.authProvider = new cassandra.auth.PlainTextAuthProvider(
      config.cassandra.username,
      config.cassandra.password,
    );
  }
  return new cassandra.Client(clientOptions);
}
