import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import { type Config, parseHostPort } from "../../lib/config/index.js";
import { clientEncryptionYaml, ensureCassandraTls } from "./cassandra-tls.js";
import { ensureMavenJars, requireJava } from "./maven-jars.js";
import { SERVERS_DIR } from "./project-paths.js";
import { ServerError } from "./server-error.js";
import { SupervisedServer } from "./supervised-server.js";
import { ensureDir, spawnDetached } from "./supervisor.js";

/** JDK 17 module flags from Cassandra's own conf/jvm17-server.options; without them the JVM dies at start. */
const JDK17_FLAGS = [
  ...[
    "java.base/jdk.internal.misc",
    "java.management.rmi/com.sun.jmx.remote.internal.rmi",
    "java.management/com.sun.jmx.remote.security",
    "java.rmi/sun.rmi.registry",
    "java.rmi/sun.rmi.server",
    "java.sql/java.sql",
    "java.base/java.lang.ref",
    "jdk.unsupported/sun.misc",
    "jdk.compiler/com.sun.tools.javac.file",
    "jdk.attach/sun.tools.attach",
  ].map((m) => `--add-exports=${m}=ALL-UNNAMED`),
  ...[
    "java.base/java.lang.module",
    "java.base/jdk.internal.loader",
    "java.base/jdk.internal.ref",
    "java.base/jdk.internal.reflect",
    "java.base/jdk.internal.math",
    "java.base/jdk.internal.module",
    "java.base/jdk.internal.util.jar",
    "java.base/sun.nio.ch",
    "java.base/java.io",
    "java.base/java.lang.reflect",
    "java.base/java.lang",
    "java.base/java.util",
    "java.base/java.nio",
    "jdk.management/com.sun.management.internal",
    "jdk.compiler/com.sun.tools.javac",
  ].map((m) => `--add-opens=${m}=ALL-UNNAMED`),
];

/** Apache Cassandra 5.0 (single node) from Maven Central's cassandra-all, on JDK 17. */
export class CassandraServer extends SupervisedServer {
  readonly name = "cassandra" as const;
  private readonly jarDir: string;
  private readonly host: string;
  private readonly port: number;

  constructor(private readonly config: Config) {
    super(config.stateDir, "cassandra", { startTimeoutMs: 240_000, stopGraceMs: 60_000 });
    this.jarDir = path.join(this.dir, "jars");
    ({ host: this.host, port: this.port } = parseHostPort(
      config.cassandra.contactPoints[0] ?? "127.0.0.1:9042",
    ));
  }

  async install(log: (line: string) => void): Promise<void> {
    requireJava(this.name);
    ensureMavenJars(this.name, path.join(SERVERS_DIR, "cassandra", "pom.xml"), this.jarDir, log);
  }

  protected async launch(log: (line: string) => void): Promise<number> {
    const java = requireJava(this.name);
    const { yaml, logback } = this.writeConfig(java, log);
    const heap = process.env.JTP_CASSANDRA_HEAP ?? "2G";
    log(`cassandra: starting on ${this.host}:${this.port}, heap ${heap} (log ${this.logFile})`);
    return spawnDetached({
      command: java,
      args: [
        `-Xms${heap}`,
        `-Xmx${heap}`,
        "-Xss256k",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=200",
        ...JDK17_FLAGS,
        "-Djdk.attach.allowAttachSelf=true",
        "-Djava.net.preferIPv4Stack=true",
        "-Dcassandra-foreground=yes",
        `-Dcassandra.config=file://${yaml}`,
        `-Dcassandra.storagedir=${path.join(this.dir, "data")}`,
        `-Dcassandra.logdir=${this.dir}`,
        `-Dlogback.configurationFile=${logback}`,
        "-Dcassandra.skip_wait_for_gossip_to_settle=0",
        "-Dcassandra.unsafesystem=true",
        "-Dcassandra.jmx.local.port=7199",
        "-Dchronicle.analytics.disable=true",
        "-Dchronicle.announcer.disable=true",
        `-javaagent:${path.join(this.jarDir, "jamm-0.4.0.jar")}`,
        "-cp",
        `${this.jarDir}/*`,
        "org.apache.cassandra.service.CassandraDaemon",
      ],
      cwd: this.dir,
      logFile: this.logFile,
      pidFile: this.pidFile,
    });
  }

  protected get endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  protected get hint(): string {
    return `is port ${this.port}, 7000 or 7199 taken (ss -ltnp)? Is there enough free memory for the heap (JTP_CASSANDRA_HEAP)? Otherwise remove ${path.join(this.dir, "data")} and retry.`;
  }

  protected async healthy(): Promise<boolean> {
    const client = createCassandraClient(this.config, { withKeyspace: false });
    try {
      await client.connect();
      const rs = await client.execute("SELECT release_version FROM system.local");
      return rs.first() !== null;
    } finally {
      await client.shutdown().catch(() => undefined);
    }
  }

  private writeConfig(java: string, log: (line: string) => void): { yaml: string; logback: string } {
    if (this.host !== "127.0.0.1" && this.host !== "localhost") {
      throw new ServerError(
        this.name,
        `a local Cassandra listens on loopback; CASSANDRA_CONTACT_POINTS=${this.host} looks external (remove cassandra from JTP_LOCAL_SERVERS)`,
      );
    }
    const conf = ensureDir(path.join(this.dir, "conf"));
    const data = path.join(this.dir, "data");
    const yaml = path.join(conf, "cassandra.yaml");
    const tls = ensureCassandraTls(this.config.stateDir, java, log);
    writeFileSync(
      yaml,
      [
        "# Generated by `jtp servers start`: minimal single-node Cassandra 5.0 on loopback.",
        "cluster_name: job-tracking-local",
        "num_tokens: 1",
        "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
        "endpoint_snitch: SimpleSnitch",
        "listen_address: 127.0.0.1",
        "rpc_address: 127.0.0.1",
        "storage_port: 7000",
        `native_transport_port: ${this.port}`,
        "start_native_transport: true",
        "seed_provider:",
        "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
        "    parameters:",
        '      - seeds: "127.0.0.1"',
        "data_file_directories:",
        `  - ${path.join(data, "data")}`,
        `commitlog_directory: ${path.join(data, "commitlog")}`,
        `saved_caches_directory: ${path.join(data, "saved_caches")}`,
        `hints_directory: ${path.join(data, "hints")}`,
        `cdc_raw_directory: ${path.join(data, "cdc_raw")}`,
        "commitlog_sync: periodic",
        "commitlog_sync_period: 10s",
        "auto_snapshot: false",
        "concurrent_reads: 16",
        "concurrent_writes: 32",
        "native_transport_max_threads: 64",
        // TLS optional on the native port: plaintext and TLS clients both work (test/integration/cassandra-tls.test.ts).
        ...clientEncryptionYaml(tls),
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    chmodSync(yaml, 0o600); // carries the keystore password
    const logback = path.join(conf, "logback.xml");
    writeFileSync(
      logback,
      `<configuration scan="false">
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT" /></root>
  <logger name="org.apache.cassandra" level="INFO" />
  <logger name="com.thinkaurelius.thrift" level="ERROR" />
</configuration>
`,
    );
    return { yaml, logback };
  }
}
