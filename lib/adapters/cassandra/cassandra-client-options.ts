import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
import cassandra from "cassandra-driver";
import { type Config, parseHostPort } from "../../config/index.js";
import { ConfigError } from "../../errors.js";

export interface CassandraClientOptions {
  /** Connect with the lake's keyspace (default). False for migrations, which create it. */
  readonly withKeyspace?: boolean;
}

/** Reads the CA file (a stand-in in tests). */
export type ReadPem = (file: string) => string;

/**
 * TLS options of the driver, or undefined without TLS. The server certificate is always verified
 * (the driver's own default is not to: `rejectUnauthorized` is set explicitly), against
 * CASSANDRA_SSL_CA_FILE or Node's bundled root CAs, and so is the host name: a DNS-name contact point
 * (Amazon Keyspaces' `cassandra.<region>.amazonaws.com`) is checked on every node's certificate, since
 * the driver connects to node IP addresses; with IP contact points each node's certificate must name
 * its own IP address.
 */
export function cassandraSslOptions(
  cassandraConfig: Config["cassandra"],
  readPem: ReadPem = (file) => readFileSync(file, "utf8"),
): ConnectionOptions | undefined {
  const tls = cassandraConfig.tls;
  if (!tls.enabled) return undefined;
  const options: ConnectionOptions = { rejectUnauthorized: true };
  if (tls.caFile !== undefined) {
    try {
      options.ca = [readPem(tls.caFile)];
    } catch (cause) {
      throw new ConfigError(
        [`CASSANDRA_SSL_CA_FILE: cannot read ${tls.caFile} (${(cause as Error).message})`],
        { cause },
      );
    }
  }
  const host = parseHostPort(cassandraConfig.contactPoints[0] ?? "").host;
  if (host !== "" && isIP(host) === 0) options.servername = host;
  return options;
}

/** cassandra-driver client options for the configured contact points, credentials and TLS. Pure. */
export function cassandraClientOptions(
  cassandraConfig: Config["cassandra"],
  options: CassandraClientOptions = {},
  readPem?: ReadPem,
): cassandra.DseClientOptions {
  const points = cassandraConfig.contactPoints.map(parseHostPort);
  const port = points[0]?.port ?? 9042;
  const clientOptions: cassandra.DseClientOptions = {
    contactPoints: points.map((p) => p.host),
    localDataCenter: cassandraConfig.localDataCenter,
    protocolOptions: { port },
    socketOptions: { connectTimeout: 10_000, readTimeout: 12_000 },
    // LOCAL_QUORUM for everything: the only write consistency Amazon Keyspaces accepts.
    queryOptions: { consistency: cassandra.types.consistencies.localQuorum, prepare: true },
  };
  if (options.withKeyspace !== false) clientOptions.keyspace = cassandraConfig.keyspace;
  if (cassandraConfig.username !== undefined && cassandraConfig.password !== undefined) {
    clientOptions.authProvider = new cassandra.auth.PlainTextAuthProvider(
      cassandraConfig.username,
      cassandraConfig.password,
    );
  }
  const sslOptions = cassandraSslOptions(cassandraConfig, readPem);
  if (sslOptions) clientOptions.sslOptions = sslOptions;
  return clientOptions;
}
