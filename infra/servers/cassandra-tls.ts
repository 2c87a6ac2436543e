import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ServerError } from "./server-error.js";
import { ensureDir } from "./supervisor.js";

/**
 * A self-signed TLS identity for the local Cassandra, so that the adapter's TLS path (CASSANDRA_SSL)
 * is tested against a real server: generated once with the JDK's keytool under
 * `<stateDir>/cassandra/tls/` (git-ignored), for 127.0.0.1 and localhost (so host-name verification
 * passes), and exported as PEM for clients to trust (CASSANDRA_SSL_CA_FILE).
 */
export interface CassandraTlsFiles {
  readonly dir: string;
  /** PKCS12 keystore with the server's key and certificate. */
  readonly keystore: string;
  /** Its random password (mode 600). */
  readonly passwordFile: string;
  /** The server's self-signed certificate as PEM: what a client trusts. */
  readonly certPem: string;
}

export function cassandraTlsFiles(stateDir: string): CassandraTlsFiles {
  const dir = path.join(stateDir, "cassandra", "tls");
  return {
    dir,
    keystore: path.join(dir, "keystore.p12"),
    passwordFile: path.join(dir, "keystore.pass"),
    certPem: path.join(dir, "cassandra-cert.pem"),
  };
}

const ALIAS = "cassandra-local";

function keytool(java: string, args: readonly string[]): void {
  const bin = path.join(path.dirname(java), "keytool");
  const tool = existsSync(bin) ? bin : "keytool";
  const out = spawnSync(tool, args, { encoding: "utf8" });
  if (out.error || out.status !== 0) {
    throw new ServerError(
      "cassandra",
      `keytool ${args[0]} failed (${out.error?.message ?? out.stderr.trim()}); it comes with the JDK 17 (apt-get install -y openjdk-17-jdk-headless)`,
      { cause: out.error },
    );
  }
}

/**
 * The keystore and PEM, generated on first use (kept afterwards, so clients keep trusting the same
 * certificate across restarts). Returns the files and the keystore password.
 */
export function ensureCassandraTls(
  stateDir: string,
  java: string,
  log: (line: string) => void,
): CassandraTlsFiles & { password: string } {
  const files = cassandraTlsFiles(stateDir);
  ensureDir(files.dir);
  if (!existsSync(files.keystore) || !existsSync(files.passwordFile)) {
    rmSync(files.keystore, { force: true });
    rmSync(files.certPem, { force: true });
    writeFileSync(files.passwordFile, randomBytes(18).toString("base64url"), { mode: 0o600 });
    const password = readFileSync(files.passwordFile, "utf8").trim();
    log(`cassandra: generating a self-signed TLS certificate for 127.0.0.1/localhost in ${files.dir}`);
    keytool(java, [
      "-genkeypair",
      "-alias",
      ALIAS,
      "-keyalg",
      "EC",
      "-groupname",
      "secp256r1",
      "-sigalg",
      "SHA256withECDSA",
      "-validity",
      "3650",
      "-dname",
      "CN=localhost, OU=local test server, O=job-tracking-pipeline",
      "-ext",
      "SAN=ip:127.0.0.1,dns:localhost",
      "-keystore",
      files.keystore,
      "-storetype",
      "PKCS12",
      "-storepass",
      password,
      "-keypass",
      password,
    ]);
  }
  chmodSync(files.passwordFile, 0o600);
  chmodSync(files.keystore, 0o600);
  const password = readFileSync(files.passwordFile, "utf8").trim();
  if (!existsSync(files.certPem)) {
    keytool(java, [
      "-exportcert",
      "-rfc",
      "-alias",
      ALIAS,
      "-keystore",
      files.keystore,
      "-storetype",
      "PKCS12",
      "-storepass",
      password,
      "-file",
      files.certPem,
    ]);
  }
  return { ...files, password };
}

/**
 * cassandra.yaml lines: TLS on the normal native port, optional, so plaintext clients (everything
 * local by default) and TLS clients (CASSANDRA_SSL=true) are both served.
 */
export function clientEncryptionYaml(tls: CassandraTlsFiles & { password: string }): string[] {
  return [
    "client_encryption_options:",
    "  enabled: true",
    "  optional: true",
    `  keystore: ${tls.keystore}`,
    `  keystore_password: "${tls.password}"`,
    "  store_type: PKCS12",
    "  require_client_auth: false",
  ];
}
