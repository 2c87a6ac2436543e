import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";

/**
 * `serverless package` of every stage, offline and without credentials, in a scratch copy of the
 * project (so it never touches the `.esbuild` build of a `serverless offline` that may be running in
 * the work tree). Shared by the package tests.
 */

export const run = promisify(execFile);
export const ROOT = path.resolve(import.meta.dirname, "../../..");
export const STAGES = ["local", "dev", "prod"] as const;
export type Stage = (typeof STAGES)[number];

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };
export interface Resource {
  Type: string;
  Condition?: string;
  Properties: JsonObject;
  DependsOn?: Json;
}
export interface Template {
  Resources: Record<string, Resource>;
  Parameters?: Record<string, { Default?: Json }>;
  Conditions?: Record<string, Json>;
}

export interface PackagedStages {
  /** The generated CloudFormation template of a stage. */
  template(stage: Stage): Template;
  /** Where that template's file is (inside the scratch copy). */
  templatePath(stage: Stage): string;
  /** Deletes the scratch copy. */
  remove(): void;
}

/** Environment for `serverless`: no variables of this machine's runs leak into the templates. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(KAFKA|CASSANDRA|MYSQL|REPORTING|CDC|AGG|JTP|AWS|SECRETS)_/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, SLS_TELEMETRY_DISABLED: "1", SLS_NOTIFICATIONS_MODE: "off" };
}

/**
 * Copies the project into a new temporary directory (name starting with `prefix`) and packages every
 * stage there. The copy is removed again when packaging fails; otherwise call `remove()`.
 */
export async function packageStages(prefix: string): Promise<PackagedStages> {
  const sandbox = mkdtempSync(path.join(tmpdir(), prefix));
  const remove = (): void => rmSync(sandbox, { recursive: true, force: true });
  const templates = new Map<Stage, Template>();
  const templatePaths = new Map<Stage, string>();
  try {
    for (const p of ["serverless.yml", "package.json", "tsconfig.json", "functions", "lib", "infra/aws"]) {
      cpSync(path.join(ROOT, p), path.join(sandbox, p), { recursive: true });
    }
    symlinkSync(path.join(ROOT, "node_modules"), path.join(sandbox, "node_modules"), "dir");
    for (const stage of STAGES) {
      const out = path.join(sandbox, `.package-${stage}`);
      await run(
        process.execPath,
        [
          path.join(sandbox, "node_modules/serverless/bin/serverless.js"),
          "package",
          "--stage",
          stage,
          "--package",
          out,
        ],
        { cwd: sandbox, env: cleanEnv(), timeout: 60_000, maxBuffer: 10 * 1024 * 1024 },
      ).catch((err: { stdout?: string; stderr?: string }) => {
        throw new Error(
          `serverless package --stage ${stage} failed:\n${err.stdout ?? ""}\n${err.stderr ?? ""}`,
        );
      });
      const file = path.join(out, "cloudformation-template-update-stack.json");
      templatePaths.set(stage, file);
      templates.set(stage, JSON.parse(readFileSync(file, "utf8")) as Template);
    }
  } catch (err) {
    remove();
    throw err;
  }
  const got = <T>(map: Map<Stage, T>, stage: Stage): T => {
    const v = map.get(stage);
    if (v === undefined) throw new Error(`no template for ${stage}`);
    return v;
  };
  return {
    template: (stage) => got(templates, stage),
    templatePath: (stage) => got(templatePaths, stage),
    remove,
  };
}

/**
 * Packages every stage before the file's tests (`packageStages` in a beforeAll with the given
 * timeout) and removes the scratch copy after them.
 */
export function packagedStagesForFile(prefix: string, timeoutMs: number): PackagedStages {
  let packaged: PackagedStages | undefined;
  beforeAll(async () => {
    packaged = await packageStages(prefix);
  }, timeoutMs);
  afterAll(() => packaged?.remove());
  const ready = (stage: Stage): PackagedStages => {
    if (!packaged) throw new Error(`no template for ${stage}`);
    return packaged;
  };
  return {
    template: (stage) => ready(stage).template(stage),
    templatePath: (stage) => ready(stage).templatePath(stage),
    remove: () => packaged?.remove(),
  };
}
