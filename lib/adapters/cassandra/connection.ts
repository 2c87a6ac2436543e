import cassandra from "cassandra-driver";
import type { Config } from "../../config/index.js";
import { type CassandraClientOptions, cassandraClientOptions } from "./cassandra-client-options.js";

export type CassandraClient = cassandra.Client;

/**
 * A cassandra-driver client for the configured contact points, with credentials and TLS as configured
 * (cassandra-client-options.ts). `withKeyspace: false` lets migrations create the keyspace.
 */
export function createCassandraClient(config: Config, options: CassandraClientOptions = {}): CassandraClient {
  return new cassandra.Client(cassandraClientOptions(config.cassandra, options));
}
