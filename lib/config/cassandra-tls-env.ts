import { z } from "zod";
import { envBoolean } from "./env-boolean.js";
import type { EnvIssue } from "./env-issue.js";

/**
 * TLS to Cassandra (environment → typed). Merged into the one env schema in env-schema.ts. Amazon
 * Keyspaces accepts only TLS (port 9142). The server certificate and its host name are always
 * verified; there is deliberately no switch to turn verification off.
 */
const boolean = envBoolean;

export const cassandraTlsEnvShape = {
  /** TLS to every Cassandra node. Default false (the local server). */
  CASSANDRA_SSL: boolean.default(false),
  /**
   * PEM file with the CA certificate(s) to trust instead of Node's bundled root CAs (which include the
   * Amazon Root CAs and Starfield that Amazon Keyspaces' certificates chain to). For a private CA or a
   * self-signed test server.
   */
  CASSANDRA_SSL_CA_FILE: z.string().trim().min(1).optional(),
} as const;

export interface CassandraTls {
  readonly enabled: boolean;
  /** Undefined: Node's bundled root CAs. */
  readonly caFile: string | undefined;
}

interface CassandraTlsEnv {
  readonly CASSANDRA_SSL: unknown;
  readonly CASSANDRA_SSL_CA_FILE?: string | undefined;
}

/** Combinations that cannot be meant (a CA file without TLS would be silently ignored). */
export function cassandraTlsIssues(e: CassandraTlsEnv): EnvIssue[] {
  if (e.CASSANDRA_SSL_CA_FILE !== undefined && e.CASSANDRA_SSL === false) {
    return [
      {
        variable: "CASSANDRA_SSL_CA_FILE",
        message: "only used with CASSANDRA_SSL=true; set CASSANDRA_SSL=true or remove it",
      },
    ];
  }
  return [];
}

export function toCassandraTls(e: {
  CASSANDRA_SSL: boolean;
  CASSANDRA_SSL_CA_FILE?: string | undefined;
}): CassandraTls {
  return { enabled: e.CASSANDRA_SSL, caFile: e.CASSANDRA_SSL_CA_FILE };
}
