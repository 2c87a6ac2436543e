import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LOCAL_SECRETS_FILE, parseEnvFile } from "../../lib/config/index.js";
import { ensureDir } from "./supervisor.js";

const GENERATED = ["MYSQL_ADMIN_PASSWORD", "MYSQL_WRITER_PASSWORD", "MYSQL_READER_PASSWORD"] as const;

/**
 * Local servers get random passwords, generated once into `<stateDir>/secrets.env` (mode 600,
 * git-ignored). Nothing secret is ever committed; external servers take theirs from the environment.
 */
export function ensureLocalSecrets(stateDir: string): string {
  ensureDir(stateDir);
  const file = path.join(stateDir, LOCAL_SECRETS_FILE);
  const current = existsSync(file) ? parseEnvFile(readFileSync(file, "utf8")) : {};
  const missing = GENERATED.filter((k) => !current[k]);
  if (missing.length > 0) {
    for (const k of missing) current[k] = randomBytes(18).toString("base64url");
    const body = Object.entries(current)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
    writeFileSync(
      file,
      `# Generated for the local servers by \`jtp servers start\`. Never commit.\n${body}\n`,
      {
        mode: 0o600,
      },
    );
  }
  chmodSync(file, 0o600);
  return file;
}
