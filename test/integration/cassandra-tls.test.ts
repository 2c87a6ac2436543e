import { existsSync } from "node:fs";
import cassandra from "cassandra-driver";
import { beforeAll, describe, expect, it } from "vitest";
import { cassandraTlsFiles } from "../../infra/servers/cassandra-tls.js";
import { type CassandraClient, createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import { type Config, loadConfig } from "../../lib/config/index.js";

/**
 * CASSANDRA_SSL against the real local Cassandra 5.0: `jtp servers start` gives it a self-signed
 * certificate (127.0.0.1 / localhost) with TLS optional on the native port, so the same server takes
 * the plaintext clients of the other tests and the TLS clients here.
 */
const base = loadConfig();
const pem = cassandraTlsFiles(base.stateDir).certPem;
const port = base.cassandra.contactPoints[0]?.split(":").at(-1) ?? "9042";

function tlsConfig(extra: Record<string, string>): Config {
  return loadConfig({ ...process.env, CASSANDRA_SSL: "true", ...extra });
}

async function withClient<T>(config: Config, fn: (c: CassandraClient) => Promise<T>): Promise<T> {
  const client = createCassandraClient(config, { withKeyspace: false });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

beforeAll(() => {
  if (!base.localServers.includes("cassandra")) {
    throw new Error(
      "this test needs the local Cassandra started by `npm run servers -- start` (cassandra in JTP_LOCAL_SERVERS): it trusts that server's generated certificate",
    );
  }
  if (!existsSync(pem)) {
    throw new Error(
      `${pem} does not exist: the running Cassandra was started before TLS was configured. Restart it: ` +
        "npm run servers -- stop cassandra && npm run servers -- start cassandra",
    );
  }
});

describe("Cassandra over TLS (CASSANDRA_SSL, CASSANDRA_SSL_CA_FILE)", () => {
  it("connects through createCassandraClient when the server's certificate is trusted, and the session is TLS", async () => {
    const config = tlsConfig({ CASSANDRA_SSL_CA_FILE: pem });
    expect(config.cassandra.tls).toEqual({ enabled: true, caFile: pem });
    await withClient(config, async (client) => {
      const version = (await client.execute("SELECT release_version FROM system.local")).first();
      expect(String(version?.get("release_version"))).toMatch(/^5\.0\./);
      // The server's own view of its client connections: ours are encrypted.
      const clients = await client.execute("SELECT ssl_enabled, ssl_protocol FROM system_views.clients");
      const tls = clients.rows.filter((r) => r.get("ssl_enabled") === true);
      expect(tls.length).toBeGreaterThan(0);
      expect(String(tls[0]?.get("ssl_protocol"))).toMatch(/^TLSv1\.[23]$/);
    });
  });

  it("verifies the host name of a DNS contact point (localhost is in the certificate)", async () => {
    const config = tlsConfig({ CASSANDRA_SSL_CA_FILE: pem, CASSANDRA_CONTACT_POINTS: `localhost:${port}` });
    await withClient(config, async (client) => {
      const rs = await client.execute("SELECT key FROM system.local");
      expect(rs.rowLength).toBe(1);
    });
  });

  it("fails with a clear certificate error when the client does not trust the server's CA", async () => {
    // No CASSANDRA_SSL_CA_FILE: only Node's bundled public root CAs are trusted.
    const config = tlsConfig({});
    const error = await withClient(config, async () => undefined).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(cassandra.errors.NoHostAvailableError);
    expect((error as Error).message).toMatch(/self-signed certificate/);
    const inner = Object.values((error as cassandra.errors.NoHostAvailableError).innerErrors);
    expect(inner.map((e) => (e as NodeJS.ErrnoException).code)).toContain("DEPTH_ZERO_SELF_SIGNED_CERT");
  });

  it("keeps serving plaintext clients on the same port (TLS is optional there)", async () => {
    await withClient(loadConfig({ ...process.env, CASSANDRA_SSL: "false" }), async (client) => {
      const rs = await client.execute("SELECT key FROM system.local");
      expect(rs.rowLength).toBe(1);
    });
  });
});
