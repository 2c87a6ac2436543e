import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { envSchema } from "../../lib/config/env-schema.js";

const DOC = path.resolve(import.meta.dirname, "../../docs/configuration.md");

describe("docs/configuration.md", () => {
  it("names every variable the configuration schema reads", () => {
    const doc = readFileSync(DOC, "utf8");
    const missing = Object.keys(envSchema.shape).filter((name) => !doc.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
