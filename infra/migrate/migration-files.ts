import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "schema");

export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly statements: readonly string[];
}

/** Versioned migrations `V<n>__<name>.<ext>` in a schema folder, ordered by version. */
export function listMigrations(
  kind: "mysql" | "cassandra",
  vars: Readonly<Record<string, string>> = {},
): MigrationFile[] {
  const dir = path.join(SCHEMA_DIR, kind);
  return readdirSync(dir)
    .map((file) => ({ file, m: /^V(\d+)__([a-z0-9_]+)\.(sql|cql)$/.exec(file) }))
    .filter((x): x is { file: string; m: RegExpExecArray } => x.m !== null)
    .map(({ file, m }) => {
      const raw = readFileSync(path.join(dir, file), "utf8");
      const text = raw.replace(/\$\{([a-z_]+)\}/g, (_, k: string) => {
        const v = vars[k];
        if (v === undefined) throw new Error(`${file}: no value for \${${k}}`);
        return v;
      });
      return {
        version: Number(m[1]),
        name: m[2] ?? file,
        checksum: createHash("sha256").update(raw).digest("hex"),
        statements: splitStatements(text),
      };
    })
    .sort((a, b) => a.version - b.version);
}

/** Splits a script on `;` at line ends, dropping `--` comment lines. */
export function splitStatements(script: string): string[] {
  const body = script
    .split("\n")
    .filter((line) => !line.trim().startsWith("--"))
    .join("\n");
  return body
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
