import { existsSync } from "node:fs";
import path from "node:path";
import mysql from "mysql2/promise";
import { type Config, requireSecret } from "../../lib/config/index.js";
import { ServerError } from "./server-error.js";
import { SupervisedServer } from "./supervised-server.js";
import { ensureDir, run, spawnDetached, waitHealthy, which } from "./supervisor.js";

const APT_FIX = "apt-get update && apt-get install -y mariadb-server mariadb-client";

/**
 * MariaDB from Debian's packages (MySQL-compatible), with its own data directory under the state
 * folder, listening on loopback only. The admin account used by migrations is created at first start
 * over the unix socket (root's socket authentication) with the password from the config.
 */
export class MariaDbServer extends SupervisedServer {
  readonly name = "mariadb" as const;
  private readonly dataDir: string;
  private readonly socket: string;

  constructor(private readonly config: Config) {
    super(config.stateDir, "mariadb", { startTimeoutMs: 60_000, stopGraceMs: 60_000 });
    this.dataDir = path.join(this.dir, "data");
    this.socket = path.join(this.dir, "mysqld.sock");
  }

  async install(log: (line: string) => void): Promise<void> {
    if (which("mariadbd") && which("mariadb-install-db") && which("mariadb")) return;
    if (process.getuid?.() !== 0) {
      throw new ServerError(this.name, `MariaDB is not installed. Fix (as root): ${APT_FIX}`);
    }
    log("mariadb: installing Debian packages mariadb-server mariadb-client (first time only)");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    run(this.name, "apt-get", ["update", "-qq"], { hint: "check the Debian package mirror", env });
    run(this.name, "apt-get", ["install", "-y", "-qq", "mariadb-server", "mariadb-client"], {
      hint: APT_FIX,
      env,
    });
  }

  protected async launch(log: (line: string) => void): Promise<number> {
    ensureDir(this.dir);
    const asRoot = process.getuid?.() === 0;
    if (!existsSync(path.join(this.dataDir, "mysql"))) {
      log(`mariadb: initialising data directory ${this.dataDir}`);
      run(
        this.name,
        "mariadb-install-db",
        [
          "--no-defaults",
          `--datadir=${this.dataDir}`,
          "--auth-root-authentication-method=socket",
          "--skip-test-db",
          ...(asRoot ? ["--user=root"] : []),
        ],
        { hint: `remove ${this.dataDir} and retry` },
      );
    }
    log(`mariadb: starting on ${this.config.mysql.host}:${this.config.mysql.port} (log ${this.logFile})`);
    const pid = spawnDetached({
      command: which("mariadbd") ?? "mariadbd",
      args: [
        "--no-defaults",
        `--datadir=${this.dataDir}`,
        `--socket=${this.socket}`,
        `--port=${this.config.mysql.port}`,
        "--bind-address=127.0.0.1",
        `--pid-file=${path.join(this.dir, "mariadbd.pid")}`,
        `--log-error=${this.logFile}`,
        "--skip-name-resolve",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
        "--default-time-zone=+00:00",
        "--innodb-buffer-pool-size=2G",
        "--innodb-log-file-size=1G",
        "--innodb-flush-log-at-trx-commit=1",
        "--max-connections=400",
        "--max-allowed-packet=64M",
        ...(asRoot ? ["--user=root"] : []),
      ],
      cwd: this.dir,
      logFile: path.join(this.dir, "mariadbd.stdout.log"),
      pidFile: this.pidFile,
    });
    // Root's socket authentication creates the admin account the health probe (and migrations) use.
    await waitHealthy(() => this.socketAnswers(), this.waitOptions(pid, this.limits.startTimeoutMs));
    this.ensureAdmin();
    return pid;
  }

  protected get endpoint(): string {
    return `${this.config.mysql.host}:${this.config.mysql.port}`;
  }

  protected get hint(): string {
    return `is port ${this.config.mysql.port} taken (ss -ltnp)? Set MYSQL_PORT to a free one, or remove ${this.dataDir} and retry.`;
  }

  private async socketAnswers(): Promise<boolean> {
    if (!existsSync(this.socket)) return false;
    run(this.name, "mariadb", [`--socket=${this.socket}`, "-uroot", "-e", "SELECT 1"], {
      hint: "see the log",
    });
    return true;
  }

  /** Creates or updates the admin account (root over the socket). Password goes through stdin, never argv. */
  private ensureAdmin(): void {
    const { user } = this.config.mysql.admin;
    const password = requireSecret(this.config.mysql.admin);
    const q = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    const statements = ["127.0.0.1", "localhost", "::1"].flatMap((host) => [
      `CREATE USER IF NOT EXISTS ${q(user)}@${q(host)} IDENTIFIED BY ${q(password)};`,
      `ALTER USER ${q(user)}@${q(host)} IDENTIFIED BY ${q(password)};`,
      `GRANT ALL PRIVILEGES ON *.* TO ${q(user)}@${q(host)} WITH GRANT OPTION;`,
    ]);
    run(this.name, "mariadb", [`--socket=${this.socket}`, "-uroot"], {
      input: `${statements.join("\n")}\nFLUSH PRIVILEGES;\n`,
      hint: `check ${this.logFile}`,
    });
  }

  protected async healthy(): Promise<boolean> {
    const conn = await mysql.createConnection({
      host: this.config.mysql.host,
      port: this.config.mysql.port,
      user: this.config.mysql.admin.user,
      password: requireSecret(this.config.mysql.admin),
      connectTimeout: 3_000,
    });
    try {
      await conn.query("SELECT 1");
      return true;
    } finally {
      await conn.end().catch(() => undefined);
    }
  }
}
