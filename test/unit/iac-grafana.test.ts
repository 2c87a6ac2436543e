import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  committedTimeZone,
  DASHBOARDS_DIR,
  renderDashboards,
  sameJson,
} from "../../infra/grafana/dashboards-as-code.js";
import { expandMysqlMacros, intervalSeconds } from "../../infra/grafana/src/mysql-macros.js";
import { WAREHOUSE_DATASOURCE } from "../../infra/grafana/src/mysql-target.js";

const GRAFANA = path.resolve(DASHBOARDS_DIR, "..");
/** A Grafana provisioning reference to an environment variable. */
const env = (name: string) => ["$", `{${name}}`].join("");
const readYaml = (rel: string) =>
  parse(readFileSync(path.join(GRAFANA, rel), "utf8")) as Record<string, unknown>;

describe("Grafana dashboards as code", () => {
  it("the committed JSON is exactly what the TypeScript source generates", () => {
    for (const [file, text] of renderDashboards("utc")) {
      const regenerated = renderDashboards(committedTimeZone(file)).get(file) ?? "";
      const committed = readFileSync(path.join(DASHBOARDS_DIR, file), "utf8");
      // Same JSON value (the formatter may re-wrap the committed file); run npm run grafana:dashboards if not.
      expect(JSON.parse(committed), `${file} is out of date`).toEqual(JSON.parse(regenerated));
      expect(sameJson(committed, regenerated)).toBe(true);
      expect(text.length).toBeGreaterThan(100);
    }
  });

  it("sets the dashboard time zone explicitly and gives every panel a unique id and the warehouse data source", () => {
    const d = JSON.parse(renderDashboards("Asia/Ho_Chi_Minh").get("job-tracking.json") ?? "{}") as {
      timezone: string;
      panels: Array<{
        id: number;
        type: string;
        targets?: Array<{ datasource: { uid: string }; rawSql: string }>;
      }>;
    };
    expect(d.timezone).toBe("Asia/Ho_Chi_Minh");
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const queries = d.panels.filter((p) => p.type !== "row").flatMap((p) => p.targets ?? []);
    expect(queries.length).toBeGreaterThanOrEqual(15);
    for (const q of queries) {
      expect(q.datasource.uid).toBe(WAREHOUSE_DATASOURCE.uid);
      // Grafana's macro arguments end at the first ")": only plain columns may be passed.
      for (const m of q.rawSql.matchAll(/\$__\w+\(([^)]*)\)/g)) expect(m[1]).not.toContain("(");
    }
  });
});

describe("Grafana provisioning", () => {
  it("provisions the MySQL data source with the read-only user, an env password and an explicit session time zone", () => {
    const file = readYaml("provisioning/datasources/warehouse.yaml");
    const [ds] = file.datasources as Array<Record<string, unknown>>;
    expect(ds).toMatchObject({
      type: "mysql",
      uid: WAREHOUSE_DATASOURCE.uid,
      user: env("MYSQL_READER_USER"),
      secureJsonData: { password: env("MYSQL_READER_PASSWORD") },
      jsonData: { database: env("MYSQL_DATABASE"), timezone: env("REPORTING_TIME_ZONE") },
    });
    expect(JSON.stringify(file)).not.toMatch(/password"\s*:\s*"(?!\$\{)/i);
  });

  it("loads the generated dashboards from a file provider", () => {
    const file = readYaml("provisioning/dashboards/job-tracking.yaml");
    const [provider] = file.providers as Array<{ type: string; options: { path: string } }>;
    expect(provider?.type).toBe("file");
    expect(provider?.options.path).toMatch(/^\/var\/lib\/grafana\/dashboards\//);
  });
});

describe("Grafana MySQL macro expansion (as pkg/tsdb/mysql/macros.go)", () => {
  const range = { fromMs: 1_772_323_200_000, toMs: 1_772_409_599_999 };
  it.each([
    [
      "$__timeFilter(created_at)",
      "created_at BETWEEN FROM_UNIXTIME(1772323200) AND FROM_UNIXTIME(1772409599)",
    ],
    ["$__timeFrom()", "FROM_UNIXTIME(1772323200)"],
    ["$__timeTo()", "FROM_UNIXTIME(1772409599)"],
    ["$__timeGroup(t, '1h')", "UNIX_TIMESTAMP(t) DIV 3600 * 3600"],
    ["$__timeGroupAlias(t,'5m')", 'UNIX_TIMESTAMP(t) DIV 300 * 300 AS "time"'],
    ["$__unixEpochFilter(ts)", "ts >= 1772323200 AND ts <= 1772409599"],
    ["$__unixEpochFrom() - $__unixEpochTo()", "1772323200 - 1772409599"],
    ["$__unixEpochGroupAlias(ts, '1d')", 'ts DIV 86400 * 86400 AS "time"'],
    ["$__time(c)", "UNIX_TIMESTAMP(c) as time_sec"],
  ])("%s", (macro, expanded) => {
    expect(expandMysqlMacros(macro, range)).toBe(expanded);
  });

  it("rejects unknown macros, missing arguments and bad intervals", () => {
    expect(() => expandMysqlMacros("$__nope(x)", range)).toThrow(/unknown macro/);
    expect(() => expandMysqlMacros("$__timeFilter()", range)).toThrow(/missing time column/);
    expect(() => expandMysqlMacros("$__timeGroup(t)", range)).toThrow(/interval/);
    expect(() => intervalSeconds("'1y'")).toThrow(/unsupported/);
    expect(intervalSeconds("'30s'")).toBe(30);
  });
});
