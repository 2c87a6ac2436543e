import { describe, expect, it } from "vitest";
import { TRACK_MIX, trackAt } from "../../infra/tooling/generator/tracking-event-factory.js";

describe("trackAt (deterministic rows by index)", () => {
  it("cycles through the track mix in a fixed order of 10: click ×7, conversion, qualified, unqualified", () => {
    const cycle = [...Array.from({ length: 7 }, () => "click"), "conversion", "qualified", "unqualified"];
    expect(Array.from({ length: 20 }, (_, i) => trackAt(i))).toEqual([...cycle, ...cycle]);
  });

  it("each track's share of a cycle is its share of TRACK_MIX", () => {
    const cycle = Array.from({ length: 10 }, (_, i) => trackAt(i));
    for (const [track, p] of TRACK_MIX) {
      expect([track, cycle.filter((t) => t === track).length / 10]).toEqual([track, p]);
    }
  });
});
