import { describe, expect, it } from "vitest";
import { COMPONENTS, randomKillPlan } from "../../infra/integrity/component-chaos.js";
import { shardGroups } from "../../infra/local/local-pipeline.js";
import { seededRng } from "../../infra/tooling/generator/random.js";

describe("integrity suite: random kill plan", () => {
  it("is reproducible from its seed, sorted, inside the window, and kills every component", () => {
    const a = randomKillPlan(seededRng(42), 7, 0.1, 0.8);
    const b = randomKillPlan(seededRng(42), 7, 0.1, 0.8);
    expect(a).toEqual(b);
    expect(a).toHaveLength(7);
    expect(a.map((k) => k.at)).toEqual([...a.map((k) => k.at)].sort((x, y) => x - y));
    expect(a.every((k) => k.at >= 0.1 && k.at <= 0.8 && k.downMs >= 200 && k.downMs <= 3_000)).toBe(true);
    expect(new Set(a.map((k) => k.component))).toEqual(new Set(COMPONENTS));
    expect(randomKillPlan(seededRng(43), 7, 0.1, 0.8)).not.toEqual(a);
  });
});

describe("scale-out: shard groups of poller processes", () => {
  it("deals every shard to exactly one owner", () => {
    expect(shardGroups(4, 1)).toEqual([[0, 1, 2, 3]]);
    expect(shardGroups(4, 2)).toEqual([
      [0, 2],
      [1, 3],
    ]);
    expect(shardGroups(4, 4)).toEqual([[0], [1], [2], [3]]);
  });

  it("rejects more owners than shards, or none", () => {
    expect(() => shardGroups(4, 5)).toThrow(/1\.\.4/);
    expect(() => shardGroups(4, 0)).toThrow(/1\.\.4/);
  });
});
