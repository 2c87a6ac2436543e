import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layering rules, checked over the source text (issue 13):
 * - lib/core is pure: it imports only lib/core (and the pure packages listed below; no node: builtins);
 * - lib/use-cases import ports, never lib/adapters;
 * - nothing in lib/ or functions/ (what the Lambdas ship) imports infra/, bench/ or test/.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
/** Packages lib/core may use: pure computation, no I/O. */
const CORE_PACKAGES = new Set(["zod"]);

/** Every import/export specifier in `source`: static, type-only, re-exports and dynamic import(). */
function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  const statement =
    /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']/g;
  const dynamic = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
  for (const re of [statement, dynamic]) for (const m of code.matchAll(re)) if (m[1]) out.push(m[1]);
  return out;
}

function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

interface Import {
  readonly file: string;
  readonly specifier: string;
  /** Project-relative path for a relative import; undefined for a package or builtin. */
  readonly target: string | undefined;
}

function importsOf(dir: string): Import[] {
  return sourceFiles(dir).flatMap((file) =>
    importSpecifiers(readFileSync(path.join(ROOT, file), "utf8")).map((specifier) => ({
      file,
      specifier,
      target: specifier.startsWith(".")
        ? path.relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier))
        : undefined,
    })),
  );
}

const under = (p: string | undefined, dir: string) =>
  p !== undefined && (p === dir || p.startsWith(`${dir}/`));
const show = (i: Import) => `${i.file} imports ${i.specifier}`;

describe("import parsing", () => {
  it("finds static, type-only, side-effect, re-export and dynamic imports, not commented-out ones", () => {
    const source = [
      'import { a } from "./a.js";',
      'import type { B } from "../b.js";',
      "import * as c from 'c';",
      'import "./side-effect.js";',
      'export { d } from "./d.js";',
      'export * from "./e.js";',
      "const f = await import('./f.js');",
      "import {",
      "  g,",
      "  type G,",
      '} from "./g.js";',
      '// import { h } from "./h.js";',
      '/* import { i } from "./i.js"; */',
      'const s = "import x from y";',
    ].join("\n");
    expect(importSpecifiers(source).sort()).toEqual(
      ["./a.js", "../b.js", "c", "./side-effect.js", "./d.js", "./e.js", "./f.js", "./g.js"].sort(),
    );
  });
});

describe("architecture boundaries", () => {
  it("lib/core imports nothing outside lib/core (no adapters, no I/O builtins)", () => {
    const bad = importsOf("lib/core").filter((i) =>
      i.target === undefined ? !CORE_PACKAGES.has(i.specifier) : !under(i.target, "lib/core"),
    );
    expect(bad.map(show)).toEqual([]);
  });

  it("lib/use-cases import ports, never lib/adapters", () => {
    const bad = importsOf("lib/use-cases").filter((i) => under(i.target, "lib/adapters"));
    expect(bad.map(show)).toEqual([]);
  });

  it("lib/ and functions/ (what the Lambdas ship) import nothing from infra/, bench/ or test/", () => {
    const bad = [...importsOf("lib"), ...importsOf("functions")].filter((i) =>
      ["infra", "bench", "test"].some((dir) => under(i.target, dir)),
    );
    expect(bad.map(show)).toEqual([]);
  });
});
