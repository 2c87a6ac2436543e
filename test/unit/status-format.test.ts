import { describe, expect, it } from "vitest";
import { formatMs, formatPercentiles, formatRate, formatWindow } from "../../infra/local/status-format.js";

describe("status line formatting", () => {
  it("writes durations in the unit a person reads at a glance", () => {
    expect(formatMs(undefined)).toBe("-");
    expect(formatMs(479.6)).toBe("480 ms");
    expect(formatMs(9_999)).toBe("9999 ms");
    expect(formatMs(12_345)).toBe("12.3 s");
    expect(formatMs(1_083_800)).toBe("18.1 min");
  });

  it("names windows and rates", () => {
    expect(formatWindow(10_000)).toBe("10 s");
    expect(formatWindow(60_000)).toBe("1 min");
    expect(formatRate(199.6)).toBe("200/s");
    expect(formatPercentiles({ p50Ms: 612, p99Ms: undefined })).toBe("p50 612 ms p99 -");
  });
});
