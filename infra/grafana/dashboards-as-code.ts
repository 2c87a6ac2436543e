import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildJobTrackingDashboard } from "./src/job-tracking-dashboard.js";

/** Folder Grafana's file provider loads (infra/grafana/provisioning/dashboards/dashboards.yaml). */
export const DASHBOARDS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "dashboards");

/** Default time zone of the committed dashboards: the default REPORTING_TIME_ZONE. */
export const DEFAULT_DASHBOARD_TIME_ZONE = "utc";

/** File name → JSON text (2-space indent, trailing newline) of every generated dashboard. */
export function renderDashboards(timeZone: string): Map<string, string> {
  const dashboards = { "job-tracking.json": buildJobTrackingDashboard({ timeZone }) };
  return new Map(Object.entries(dashboards).map(([file, d]) => [file, `${JSON.stringify(d, null, 2)}\n`]));
}

/** The time zone a committed dashboard file was generated with (to regenerate it identically). */
export function committedTimeZone(file: string): string {
  const json = JSON.parse(readFileSync(path.join(DASHBOARDS_DIR, file), "utf8")) as { timezone?: unknown };
  return typeof json.timezone === "string" ? json.timezone : DEFAULT_DASHBOARD_TIME_ZONE;
}

/** True when both texts parse to the same JSON value (formatting ignored). */
export function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

/**
 * `npm run grafana:dashboards [-- --time-zone Asia/Ho_Chi_Minh] [--check]`: writes the dashboards'
 * JSON, or with --check exits 1 if the committed files differ from the TypeScript source.
 */
function main(argv: readonly string[]): number {
  const check = argv.includes("--check");
  const tzIndex = argv.indexOf("--time-zone");
  const timeZone = tzIndex >= 0 ? argv[tzIndex + 1] : undefined;
  if (tzIndex >= 0 && (timeZone === undefined || timeZone.startsWith("--"))) {
    console.error("--time-zone needs a value: utc, browser or an IANA zone such as Europe/Berlin");
    return 2;
  }
  let stale = 0;
  for (const [file, text] of renderDashboards(timeZone ?? DEFAULT_DASHBOARD_TIME_ZONE)) {
    const target = path.join(DASHBOARDS_DIR, file);
    if (check) {
      const zone = timeZone ?? committedTimeZone(file);
      const expected = renderDashboards(zone).get(file);
      let current = "";
      try {
        current = readFileSync(target, "utf8");
      } catch {
        current = "";
      }
      // Compared as JSON values: the formatter (biome) may re-wrap the committed file.
      if (!sameJson(current, expected ?? "")) {
        console.error(
          `${path.relative(process.cwd(), target)} is out of date: run npm run grafana:dashboards`,
        );
        stale++;
      }
      continue;
    }
    writeFileSync(target, text);
    console.log(`wrote ${path.relative(process.cwd(), target)}`);
  }
  return stale === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
