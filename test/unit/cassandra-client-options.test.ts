import cassandra from "cassandra-driver";
import { describe, expect, it } from "vitest";
import { cassandraClientOptions } from "../../lib/adapters/cassandra/cassandra-client-options.js";
import { type Config, loadConfig } from "../../lib/config/index.js";
import { ConfigError } from "../../lib/errors.js";

const NO_FILE = { readSecretsFile: false } as const;
const cassandraOf = (env: Record<string, string>): Config["cassandra"] => loadConfig(env, NO_FILE).cassandra;
const noFileRead = (file: string): string => {
  throw new Error(`unexpected read of ${file}`);
};

describe("cassandra-driver options built from the config", () => {
  it("local default: plaintext, LOCAL_QUORUM, no credentials", () => {
    const o = cassandraClientOptions(cassandraOf({}), {}, noFileRead);
    expect(o).toMatchObject({
      contactPoints: ["127.0.0.1"],
      protocolOptions: { port: 9042 },
      keyspace: "tracking_lake",
      queryOptions: { consistency: cassandra.types.consistencies.localQuorum, prepare: true },
    });
    expect(o.sslOptions).toBeUndefined();
    expect(o.authProvider).toBeUndefined();
    expect(cassandraClientOptions(cassandraOf({}), { withKeyspace: false }).keyspace).toBeUndefined();
  });

  it("Amazon Keyspaces: TLS on 9142 with Node's CAs, host name verified against the endpoint name, service-specific credentials", () => {
    const o = cassandraClientOptions(
      cassandraOf({
        CASSANDRA_CONTACT_POINTS: "cassandra.eu-west-1.amazonaws.com:9142",
        CASSANDRA_LOCAL_DC: "eu-west-1",
        CASSANDRA_SSL: "true",
        CASSANDRA_USERNAME: "jtp-at-123456789012",
        CASSANDRA_PASSWORD: "service-specific-password",
      }),
      {},
      noFileRead,
    );
    expect(o.contactPoints).toEqual(["cassandra.eu-west-1.amazonaws.com"]);
    expect(o.protocolOptions?.port).toBe(9142);
    expect(o.sslOptions).toEqual({
      rejectUnauthorized: true,
      servername: "cassandra.eu-west-1.amazonaws.com",
    });
    expect(o.authProvider).toBeDefined();
  });

  it("TLS to IP contact points: each node's certificate is checked against its own address (no servername)", () => {
    const o = cassandraClientOptions(
      cassandraOf({ CASSANDRA_SSL: "true", CASSANDRA_SSL_CA_FILE: "/ca.pem" }),
      {},
      (file) => `PEM of ${file}`,
    );
    expect(o.sslOptions).toEqual({ rejectUnauthorized: true, ca: ["PEM of /ca.pem"] });
  });

  it("an unreadable CA file is a ConfigError naming the variable, with the cause", () => {
    const config = cassandraOf({ CASSANDRA_SSL: "true", CASSANDRA_SSL_CA_FILE: "/nonexistent/ca.pem" });
    let error: unknown;
    try {
      cassandraClientOptions(config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]).toMatch(
      /^CASSANDRA_SSL_CA_FILE: cannot read \/nonexistent\/ca\.pem \(ENOENT/,
    );
    expect((error as ConfigError).cause).toMatchObject({ code: "ENOENT" });
  });
});
