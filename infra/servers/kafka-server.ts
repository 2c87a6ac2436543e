import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createKafka } from "../../lib/adapters/kafka/connection.js";
import { type Config, parseHostPort } from "../../lib/config/index.js";
import type { LocalServer, ServerStatus, StartResult } from "./local-server.js";
import { ensureMavenJars, requireJava } from "./maven-jars.js";
import { SERVERS_DIR } from "./project-paths.js";
import { ServerError } from "./server-error.js";
import { ensureDir, livePid, residentMiB, run, spawnDetached, stopPid, waitHealthy } from "./supervisor.js";

/** Apache Kafka 3.9 (KRaft, one node acting as broker and controller) from Maven Central jars. */
export class KafkaServer implements LocalServer {
  readonly name = "kafka" as const;
  private readonly dir: string;
  private readonly jarDir: string;
  private readonly dataDir: string;
  private readonly logFile: string;
  private readonly pidFile: string;
  private readonly host: string;
  private readonly port: number;

  constructor(private readonly config: Config) {
    this.dir = path.join(config.stateDir, "kafka");
    this.jarDir = path.join(this.dir, "jars");
    this.dataDir = path.join(this.dir, "data");
    this.logFile = path.join(this.dir, "kafka.log");
    this.pidFile = path.join(this.dir, "kafka.pid");
    const first = config.kafka.brokers[0] ?? "127.0.0.1:9092";
    ({ host: this.host, port: this.port } = parseHostPort(first));
  }

  async install(log: (line: string) => void): Promise<void> {
    requireJava(this.name);
    ensureMavenJars(this.name, path.join(SERVERS_DIR, "kafka", "pom.xml"), this.jarDir, log);
  }

  async start(log: (line: string) => void): Promise<StartResult> {
    const running = livePid(this.pidFile);
    if (running !== undefined) {
      const ms = await waitHealthy(() => this.healthy(), this.waitOptions(running, 60_000));
      return { name: this.name, alreadyRunning: true, startMs: ms, pid: running };
    }
    await this.install(log);
    const java = requireJava(this.name);
    ensureDir(this.dir);
    const props = this.writeConfig();
    const classpath = `${this.jarDir}/*`;
    if (!existsSync(path.join(this.dataDir, "meta.properties"))) {
      const clusterId = randomBytes(16).toString("base64url");
      log(`kafka: formatting KRaft storage (cluster ${clusterId})`);
      run(
        this.name,
        java,
        [
          "-cp",
          classpath,
          "kafka.tools.StorageTool",
          "format",
          "-t",
          clusterId,
          "-c",
          props,
          "--ignore-formatted",
        ],
        {
          hint: `remove ${this.dataDir} and retry`,
        },
      );
    }
    log(`kafka: starting on ${this.host}:${this.port} (log ${this.logFile})`);
    const pid = spawnDetached({
      command: java,
      args: [
        "-Xms256m",
        "-Xmx768m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        `-Dlog4j.configuration=file:${path.join(this.dir, "log4j.properties")}`,
        `-Dkafka.logs.dir=${this.dir}`,
        "-cp",
        classpath,
        "kafka.Kafka",
        props,
      ],
      cwd: this.dir,
      logFile: this.logFile,
      pidFile: this.pidFile,
    });
    const ms = await waitHealthy(() => this.healthy(), this.waitOptions(pid, 90_000));
    log(`kafka: healthy in ${(ms / 1000).toFixed(1)} s (pid ${pid})`);
    return { name: this.name, alreadyRunning: false, startMs: ms, pid };
  }

  async status(): Promise<ServerStatus> {
    const pid = livePid(this.pidFile);
    return {
      name: this.name,
      running: pid !== undefined,
      healthy: pid !== undefined && (await this.healthy().catch(() => false)),
      pid,
      rssMiB: pid === undefined ? undefined : residentMiB(pid),
      endpoint: `${this.host}:${this.port}`,
      logFile: this.logFile,
    };
  }

  async stop(log: (line: string) => void): Promise<void> {
    const pid = livePid(this.pidFile);
    if (pid === undefined) return;
    log(`kafka: stopping pid ${pid}`);
    const how = await stopPid(pid, 30_000);
    log(`kafka: ${how}`);
  }

  private async healthy(): Promise<boolean> {
    const admin = createKafka(this.config, "-health", { quiet: true }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private waitOptions(pid: number, timeoutMs: number) {
    return {
      server: this.name,
      timeoutMs,
      pid,
      logFile: this.logFile,
      hint: `is port ${this.port} or ${this.port + 1} taken by another process (ss -ltnp)? Otherwise remove ${this.dataDir} and retry.`,
    };
  }

  private writeConfig(): string {
    if (this.host !== "127.0.0.1" && this.host !== "localhost") {
      throw new ServerError(
        this.name,
        `a local Kafka listens on loopback; KAFKA_BROKERS=${this.host}:${this.port} looks external (remove kafka from JTP_LOCAL_SERVERS)`,
      );
    }
    const controllerPort = this.port + 1;
    const props = path.join(this.dir, "server.properties");
    writeFileSync(
      props,
      [
        "# Generated by `jtp servers start`: single-node KRaft (broker + controller) on loopback.",
        "process.roles=broker,controller",
        "node.id=1",
        `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${this.port}`,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        `log.dirs=${this.dataDir}`,
        "num.partitions=6",
        "default.replication.factor=1",
        "min.insync.replicas=1",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=10",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=10",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=false",
        "log.retention.hours=168",
        "log.segment.bytes=268435456",
        "num.network.threads=2",
        "num.io.threads=4",
        "transaction.max.timeout.ms=900000",
        "",
      ].join("\n"),
    );
    writeFileSync(
      path.join(this.dir, "log4j.properties"),
      [
        "log4j.rootLogger=INFO, stdout",
        "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
        "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
        "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
        "log4j.logger.kafka=INFO",
        "log4j.logger.org.apache.kafka=INFO",
        "log4j.logger.kafka.request.logger=WARN",
        "log4j.logger.state.change.logger=WARN",
        "log4j.logger.kafka.log.LogCleaner=WARN",
        "",
      ].join("\n"),
    );
    return props;
  }
}
