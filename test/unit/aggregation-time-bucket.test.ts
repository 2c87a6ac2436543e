import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hourBucketer } from "../../lib/core/time-bucket.js";

const at = (iso: string) => Date.parse(iso);

describe("hourBucketer (reporting hour in a time zone)", () => {
  it("UTC: hour and day boundaries", () => {
    const b = hourBucketer("UTC");
    expect(b(at("2024-12-31T23:59:59.999Z"))).toEqual({ dates: "2024-12-31", hours: 23 });
    expect(b(at("2025-01-01T00:00:00.000Z"))).toEqual({ dates: "2025-01-01", hours: 0 });
    expect(b(at("2025-01-01T00:59:59.999Z"))).toEqual({ dates: "2025-01-01", hours: 0 });
    expect(b(at("2025-01-01T01:00:00.000Z"))).toEqual({ dates: "2025-01-01", hours: 1 });
  });

  it("Asia/Ho_Chi_Minh (UTC+7): the local day starts at 17:00 UTC", () => {
    const b = hourBucketer("Asia/Ho_Chi_Minh");
    expect(b(at("2025-01-01T16:59:59.999Z"))).toEqual({ dates: "2025-01-01", hours: 23 });
    expect(b(at("2025-01-01T17:00:00.000Z"))).toEqual({ dates: "2025-01-02", hours: 0 });
    expect(b(at("2024-02-28T17:00:00.000Z"))).toEqual({ dates: "2024-02-29", hours: 0 });
    expect(b(at("2024-12-31T17:30:00.000Z"))).toEqual({ dates: "2025-01-01", hours: 0 });
  });

  it("America/New_York: spring forward skips 02:00, fall back repeats 01:00", () => {
    const b = hourBucketer("America/New_York");
    // 2024-03-10 02:00 EST → 03:00 EDT at 07:00 UTC
    expect(b(at("2024-03-10T06:59:59.999Z"))).toEqual({ dates: "2024-03-10", hours: 1 });
    expect(b(at("2024-03-10T07:00:00.000Z"))).toEqual({ dates: "2024-03-10", hours: 3 });
    // 2024-11-03 02:00 EDT → 01:00 EST at 06:00 UTC: two distinct UTC hours both report hour 1
    expect(b(at("2024-11-03T05:30:00.000Z"))).toEqual({ dates: "2024-11-03", hours: 1 });
    expect(b(at("2024-11-03T06:30:00.000Z"))).toEqual({ dates: "2024-11-03", hours: 1 });
    expect(b(at("2024-11-03T07:00:00.000Z"))).toEqual({ dates: "2024-11-03", hours: 2 });
    // local midnight is 04:00 UTC in summer, 05:00 UTC in winter
    expect(b(at("2024-07-01T03:59:59.999Z"))).toEqual({ dates: "2024-06-30", hours: 23 });
    expect(b(at("2024-07-01T04:00:00.000Z"))).toEqual({ dates: "2024-07-01", hours: 0 });
    expect(b(at("2024-12-01T04:59:59.999Z"))).toEqual({ dates: "2024-11-30", hours: 23 });
    expect(b(at("2024-12-01T05:00:00.000Z"))).toEqual({ dates: "2024-12-01", hours: 0 });
  });

  it("half-hour and 45-minute offsets (Asia/Kolkata, Asia/Kathmandu)", () => {
    expect(hourBucketer("Asia/Kolkata")(at("2025-01-01T18:29:59.999Z"))).toEqual({
      dates: "2025-01-01",
      hours: 23,
    });
    expect(hourBucketer("Asia/Kolkata")(at("2025-01-01T18:30:00.000Z"))).toEqual({
      dates: "2025-01-02",
      hours: 0,
    });
    expect(hourBucketer("Asia/Kathmandu")(at("2025-01-01T18:14:59.999Z"))).toEqual({
      dates: "2025-01-01",
      hours: 23,
    });
    expect(hourBucketer("Asia/Kathmandu")(at("2025-01-01T18:15:00.000Z"))).toEqual({
      dates: "2025-01-02",
      hours: 0,
    });
  });

  it("the slot cache never changes an answer (matches an uncached Intl formatting)", () => {
    const zones = [
      "UTC",
      "America/New_York",
      "Asia/Ho_Chi_Minh",
      "Australia/Lord_Howe",
      "Asia/Kathmandu",
      "Africa/Monrovia",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(1960, 0, 1), max: Date.UTC(2040, 0, 1) }),
        (zone, ts) => {
          const f = new Intl.DateTimeFormat("en-CA", {
            timeZone: zone,
            year: "numeric",
            month: "2-digit",
            day: "2-digit",
            hour: "2-digit",
            hourCycle: "h23",
          });
          const p = Object.fromEntries(f.formatToParts(ts).map((x) => [x.type, x.value]));
          expect(hourBucketer(zone)(ts)).toEqual({
            dates: `${p.year}-${p.month}-${p.day}`,
            hours: Number(p.hour),
          });
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
