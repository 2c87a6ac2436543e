import type { WindowFigures } from "../tooling/metrics/rolling-window.js";

/** A duration for a status line: "480 ms" below 10 s, "12.3 s" below 2 min, "18.1 min" above; "-" when unknown. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return "-";
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

/** "10 s", "1 min", "5 min". */
export function formatWindow(windowMs: number): string {
  return windowMs < 60_000 ? `${Math.round(windowMs / 1000)} s` : `${Math.round(windowMs / 60_000)} min`;
}

/** A rate for a status line: whole events per second. */
export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond)}/s`;
}

/** "p50 480 ms p99 900 ms" of a window (or of anything with the two percentiles). */
export function formatPercentiles(f: Pick<WindowFigures, "p50Ms" | "p99Ms">): string {
  return `p50 ${formatMs(f.p50Ms)} p99 ${formatMs(f.p99Ms)}`;
}
