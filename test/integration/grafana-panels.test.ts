import { readFileSync } from "node:fs";
import path from "node:path";
import mysql, { type Connection } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARDS_DIR } from "../../infra/grafana/dashboards-as-code.js";
import { expandMysqlMacros, type TimeRange } from "../../infra/grafana/src/mysql-macros.js";
import { migrateMysql } from "../../infra/migrate/migrate-mysql.js";
import { type Config, loadConfig, requireSecret } from "../../lib/config/index.js";
import { adminConnection } from "./support/admin-connection.js";
import { uniqueName } from "./support/config.js";

/**
 * Every panel of the committed Grafana dashboard: its SQL, with Grafana's MySQL macros expanded for a
 * fixed range, runs on the real MariaDB as the read-only reporting account against seeded data, in
 * the session time zone the provisioned data source sets (UTC, and +07:00 to prove the time zone
 * handling), and returns the expected columns and values.
 */

interface PanelTarget {
  readonly rawSql: string;
  readonly format: string;
  readonly datasource: { readonly uid: string };
}
interface PanelJson {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly PanelTarget[];
}

const dashboard = JSON.parse(readFileSync(path.join(DASHBOARDS_DIR, "job-tracking.json"), "utf8")) as {
  panels: PanelJson[];
};
const panels = dashboard.panels.filter((p) => p.type !== "row");

type Row = Record<string, unknown>;
interface Zone {
  readonly name: string;
  /** Session time zone, as the data source's jsonData.timezone would set it. */
  readonly sessionZone: string;
  readonly offsetHours: number;
}
const ZONES: readonly Zone[] = [
  { name: "UTC", sessionZone: "+00:00", offsetHours: 0 },
  { name: "UTC+7 (e.g. Asia/Ho_Chi_Minh)", sessionZone: "+07:00", offsetHours: 7 },
];

/** The local calendar day 2026-03-01 of the zone, as Grafana would send it (epoch ms). */
function dayRange(z: Zone): TimeRange {
  const shift = z.offsetHours * 3_600_000;
  return { fromMs: Date.UTC(2026, 2, 1, 0, 0, 0) - shift, toMs: Date.UTC(2026, 2, 1, 23, 59, 59) - shift };
}
/** Epoch seconds of a wall-clock hour of 2026-03-01 in the zone. */
const hourEpoch = (z: Zone, hour: number) => Date.UTC(2026, 2, 1, hour) / 1000 - z.offsetHours * 3_600;

// ---- seed -------------------------------------------------------------------------------------
const companies = [
  [1, "Acme"],
  [2, "Globex"],
] as const;
const publishers = [
  [1, "Alpha Jobs"],
  [2, "Beta Board"],
] as const;
const jobs = [
  [101, 1, "Driver"],
  [102, 1, "Cook"],
  [201, 2, "Nurse"],
] as const;
/** [job, dates, hours, publisher, campaign, group, clicks, spend, bid_count, conversion, qualified, disqualified, company] */
const facts = [
  [101, "2026-03-01", 9, 1, 10, 1, 10, "5.00", 10, 2, 1, 1, 1],
  [101, "2026-03-01", 10, 2, 10, 1, 4, "2.40", 4, 0, 2, 0, 1],
  [102, "2026-03-01", 10, 1, 20, 2, 6, "1.80", 6, 1, 0, 1, 1],
  [201, "2026-03-01", 11, 2, 30, 3, 20, "10.00", 20, 3, 3, 1, 2],
  [999, "2026-03-01", 12, 3, 30, 0, 1, "0.50", 1, 0, 0, 0, null],
  // Outside the day: must never be counted.
  [201, "2026-02-28", 23, 1, 10, 3, 100, "50.00", 100, 9, 9, 9, 2],
  [101, "2026-03-02", 0, 1, 10, 1, 1000, "500.00", 1000, 90, 90, 90, 1],
] as const;
/** [partition, offset, reason_code, created_at (UTC)] */
const deadLetters = [
  [0, 1, "invalid_json", "2026-03-01 09:15:00"],
  [0, 2, "missing_job_id", "2026-03-01 09:45:00"],
  [1, 7, "invalid_json", "2026-03-01 13:05:00"],
  [1, 8, "wrong_type", "2026-03-01 20:00:00"],
  [2, 3, "invalid_json", "2026-02-27 10:00:00"],
] as const;
/** [mode, dry_run, status, started_at (UTC), seconds, partitions, rows, missing, republished, dead-lettered, drift left, error], oldest first. */
const reconcilePasses = [
  ["scheduled", 0, "failed", "2026-02-27 10:00:00", 3, 10, 100, 9, 0, 0, 9, "lake unavailable"],
  ["scheduled", 0, "done", "2026-03-01 09:00:00", 20, 5760, 1000000, 5, 5, 1, 0, null],
  ["cli", 1, "done", "2026-03-01 10:00:00", 12.5, 60, 9000, 3, 0, 0, 3, null],
  ["scheduled", 0, "partial", "2026-03-01 18:00:00", 40, 5760, 990000, 4, 3, 0, 1, "time budget spent"],
  ["scheduled", 0, "running", "2026-03-01 19:00:00", null, 0, 0, 0, 0, 0, 0, null],
] as const;
const TOPIC = "cassandra_cdc.grafana_test.tracking";
const utcEpoch = (s: string) => Date.parse(`${s.replace(" ", "T")}Z`) / 1000;

const config: Config = loadConfig({ ...process.env, MYSQL_DATABASE: uniqueName("jtp_grafana") });
let admin: Connection;

beforeAll(async () => {
  await migrateMysql(config, () => undefined);
  admin = await adminConnection(config);
  await admin.query("SET time_zone = '+00:00'");
  await admin.query("INSERT INTO company (company_id, name) VALUES ?", [companies]);
  await admin.query("INSERT INTO publisher (publisher_id, name) VALUES ?", [publishers]);
  await admin.query("INSERT INTO job (job_id, company_id, title) VALUES ?", [jobs]);
  await admin.query(
    `INSERT INTO events (job_id, dates, hours, publisher_id, campaign_id, group_id, clicks, spend_hour, bid_count,
                         conversion, qualified_application, disqualified_application, company_id) VALUES ?`,
    [facts],
  );
  await admin.query("UPDATE events SET updated_at = NOW(3) - INTERVAL 30 SECOND");
  await admin.query(
    "INSERT INTO dead_letters (topic, partition_id, record_offset, reason_code, reason, created_at) VALUES ?",
    [deadLetters.map(([p, o, code, at]) => [TOPIC, p, o, code, `test: ${code}`, at])],
  );
  await admin.query("INSERT INTO processed_events (event_id, processed_at) VALUES ?", [
    [
      ["e1", "2026-03-01 09:01:10"],
      ["e2", "2026-03-01 09:02:05"],
      ["e3", "2026-03-01 09:02:50"],
    ],
  ]);
  for (const [mode, dry, status, started, seconds, ...counts] of reconcilePasses) {
    const [partitions, rows, missing, republished, dead, drift, error] = counts;
    await admin.query(
      `INSERT INTO reconcile_passes (mode, dry_run, from_ms, to_ms, started_at, finished_at, status, partitions_checked,
                                     rows_compared, missing_found, republished, dead_lettered, drift_left, error)
       VALUES (?, ?, 0, 0, ?, ? + INTERVAL ? SECOND, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        mode,
        dry,
        started,
        seconds === null ? null : started,
        seconds ?? 0,
        status,
        partitions,
        rows,
        missing,
        republished,
        dead,
        drift,
        error,
      ],
    );
  }
  await admin.query(
    `INSERT INTO kafka_offset_ledger (topic, partition_id, last_offset, updated_at) VALUES
       (?, 0, 41, NOW(3) - INTERVAL 5 SECOND), (?, 1, 17, NOW(3) - INTERVAL 90 SECOND)`,
    [TOPIC, TOPIC],
  );
});

afterAll(async () => {
  if (!admin) return;
  const db = config.mysql.database;
  await admin.query(`DROP DATABASE IF EXISTS \`${db}\``);
  for (const account of [config.mysql.reader, config.mysql.writer]) {
    await admin
      .query(`REVOKE ALL PRIVILEGES ON \`${db}\`.* FROM ?@?`, [account.user, config.mysql.accountHost])
      .catch(() => undefined);
    await admin
      .query(`REVOKE ALL PRIVILEGES ON \`${db}\`.processed_events FROM ?@?`, [
        account.user,
        config.mysql.accountHost,
      ])
      .catch(() => undefined);
  }
  await admin.end();
});

// ---- expectations -------------------------------------------------------------------------------
const n = (v: unknown) => Number(v);
const single = (column: string, value: number) => ({
  columns: [column],
  check: (rows: Row[]) => {
    expect(rows).toHaveLength(1);
    expect(n(rows[0]?.[column])).toBeCloseTo(value, 4);
  },
});

interface Expectation {
  readonly columns: readonly string[];
  readonly check: (rows: Row[], zone: Zone, range: TimeRange) => void;
}

function passesIn(range: TimeRange) {
  return reconcilePasses.filter(([, , , at]) => {
    const t = utcEpoch(at) * 1000;
    return t >= range.fromMs && t <= Math.floor(range.toMs / 1000) * 1000;
  });
}

function deadLettersIn(range: TimeRange) {
  return deadLetters.filter(([, , , at]) => {
    const t = utcEpoch(at) * 1000;
    return t >= range.fromMs && t <= Math.floor(range.toMs / 1000) * 1000;
  });
}

const expectations: Record<string, Expectation> = {
  Clicks: single("clicks", 41),
  Spend: single("spend", 19.7),
  Conversions: single("conversions", 6),
  "Qualified applications": single("qualified_applications", 6),
  "Disqualified applications": single("disqualified_applications", 3),
  "Qualified rate": single("qualified_rate", 6 / 9),
  "Average bid": single("average_bid", 19.7 / 41),
  "Clicks, conversions and applications per hour": {
    columns: ["time", "clicks", "conversions", "qualified", "disqualified"],
    check: (rows, z) =>
      expect(rows.map((r) => [r.time, r.clicks, r.conversions, r.qualified, r.disqualified].map(n))).toEqual([
        [hourEpoch(z, 9), 10, 2, 1, 1],
        [hourEpoch(z, 10), 10, 1, 2, 1],
        [hourEpoch(z, 11), 20, 3, 3, 1],
        [hourEpoch(z, 12), 1, 0, 0, 0],
      ]),
  },
  "Spend and average bid per hour": {
    columns: ["time", "spend", "average_bid"],
    check: (rows, z) => {
      expect(rows.map((r) => n(r.time))).toEqual([9, 10, 11, 12].map((h) => hourEpoch(z, h)));
      expect(rows.map((r) => n(r.spend))).toEqual([5, 4.2, 10, 0.5]);
      expect(rows.map((r) => n(r.average_bid))).toEqual([0.5, 0.42, 0.5, 0.5]);
    },
  },
  "Top jobs by clicks": {
    columns: ["job_id", "title", "company_id", "clicks", "spend", "conversions"],
    check: (rows) =>
      expect(
        rows.map((r) => [n(r.job_id), r.title, r.company_id, n(r.clicks), n(r.spend), n(r.conversions)]),
      ).toEqual([
        [201, "Nurse", 2, 20, 10, 3],
        [101, "Driver", 1, 14, 7.4, 2],
        [102, "Cook", 1, 6, 1.8, 1],
        [999, null, null, 1, 0.5, 0],
      ]),
  },
  "Top companies by spend": {
    columns: ["company", "spend", "clicks", "jobs"],
    check: (rows) =>
      expect(rows.map((r) => [r.company, n(r.spend), n(r.clicks), n(r.jobs)])).toEqual([
        ["Globex", 10, 20, 1],
        ["Acme", 9.2, 20, 2],
        ["unknown (job not in job table)", 0.5, 1, 1],
      ]),
  },
  "Top campaigns by clicks": {
    columns: ["campaign", "clicks"],
    check: (rows) =>
      expect(rows.map((r) => [r.campaign, n(r.clicks)])).toEqual([
        ["campaign 30", 21],
        ["campaign 10", 14],
        ["campaign 20", 6],
      ]),
  },
  "Top publishers by clicks": {
    columns: ["publisher", "clicks"],
    check: (rows) =>
      expect(rows.map((r) => [r.publisher, n(r.clicks)])).toEqual([
        ["Beta Board", 24],
        ["Alpha Jobs", 16],
        ["publisher 3", 1],
      ]),
  },
  "Campaign performance": {
    columns: [
      "campaign_id",
      "jobs",
      "publishers",
      "clicks",
      "spend",
      "average_bid",
      "conversions",
      "conversion_rate",
      "cost_per_conversion",
      "qualified",
      "disqualified",
      "qualified_rate",
    ],
    check: (rows) => {
      const got = rows.map((r) => Object.values(r).map(n));
      const want = [
        [30, 2, 2, 21, 10.5, 0.5, 3, 3 / 21, 3.5, 3, 1, 0.75],
        [10, 1, 2, 14, 7.4, 7.4 / 14, 2, 2 / 14, 3.7, 3, 1, 0.75],
        [20, 1, 1, 6, 1.8, 0.3, 1, 1 / 6, 1.8, 0, 1, 0],
      ];
      expect(got).toHaveLength(want.length);
      for (const [i, row] of got.entries()) {
        for (const [j, v] of row.entries()) expect(v).toBeCloseTo(want[i]?.[j] ?? Number.NaN, 4);
      }
    },
  },
  "Freshness (now − last applied batch)": {
    columns: ["freshness_seconds"],
    check: (rows) => {
      // the ledger's most recent advance (partition 0, 5 s before the fixture ran), not events.updated_at
      const s = n(rows[0]?.freshness_seconds);
      expect(s).toBeGreaterThanOrEqual(4.9);
      expect(s).toBeLessThan(29);
    },
  },
  "Dead letters in range": {
    columns: ["dead_letters"],
    check: (rows, _z, range) => expect(n(rows[0]?.dead_letters)).toBe(deadLettersIn(range).length),
  },
  "Oldest partition progress (s)": {
    columns: ["oldest_partition_seconds"],
    check: (rows) => {
      const s = n(rows[0]?.oldest_partition_seconds);
      expect(s).toBeGreaterThanOrEqual(89);
      expect(s).toBeLessThan(180);
    },
  },
  "Dead letters per hour": {
    columns: ["time", "dead_letters"],
    check: (rows, _z, range) => {
      const perHour = new Map<number, number>();
      for (const [, , , at] of deadLettersIn(range)) {
        const h = Math.floor(utcEpoch(at) / 3600) * 3600;
        perHour.set(h, (perHour.get(h) ?? 0) + 1);
      }
      expect(rows.map((r) => [n(r.time), n(r.dead_letters)])).toEqual([...perHour.entries()]);
    },
  },
  "Events applied per minute": {
    columns: ["time", "events_applied"],
    check: (rows) =>
      expect(rows.map((r) => [n(r.time), n(r.events_applied)])).toEqual([
        [utcEpoch("2026-03-01 09:01:00"), 1],
        [utcEpoch("2026-03-01 09:02:00"), 2],
      ]),
  },
  "Consumer progress per partition (offset ledger)": {
    columns: ["topic", "partition_id", "last_offset", "seconds_since_last_batch"],
    check: (rows) => {
      expect(rows.map((r) => [r.topic, n(r.partition_id), n(r.last_offset)])).toEqual([
        [TOPIC, 0, 41],
        [TOPIC, 1, 17],
      ]);
      expect(n(rows[0]?.seconds_since_last_batch)).toBeGreaterThanOrEqual(4);
      expect(n(rows[0]?.seconds_since_last_batch)).toBeLessThan(90);
      expect(n(rows[1]?.seconds_since_last_batch)).toBeGreaterThanOrEqual(89);
    },
  },
  "Dead letters by reason": {
    columns: ["reason_code", "records", "first_seen", "last_seen"],
    check: (rows, _z, range) => {
      const byReason = new Map<string, number[]>();
      for (const [, , code, at] of deadLettersIn(range)) {
        byReason.set(code, [...(byReason.get(code) ?? []), utcEpoch(at) * 1000]);
      }
      const want = [...byReason.entries()]
        .map(([code, ts]) => [code, ts.length, Math.min(...ts), Math.max(...ts)] as const)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      expect(rows.map((r) => [r.reason_code, n(r.records), n(r.first_seen), n(r.last_seen)])).toEqual(want);
    },
  },
  "Drift left (last reconcile pass)": single("drift_left", 1),
  "Reconcile passes: missing found, re-published, drift left": {
    columns: ["time", "missing_found", "republished", "dead_lettered", "drift_left"],
    check: (rows, _z, range) =>
      expect(
        rows.map((r) => [r.time, r.missing_found, r.republished, r.dead_lettered, r.drift_left].map(n)),
      ).toEqual(
        passesIn(range)
          .filter(([, dry, status]) => dry === 0 && status !== "running")
          .map(([, , , at, , , , missing, republished, dead, drift]) => [
            utcEpoch(at),
            missing,
            republished,
            dead,
            drift,
          ]),
      ),
  },
  "Latest reconcile passes": {
    columns: [
      "started",
      "mode",
      "dry_run",
      "status",
      "seconds",
      "partitions_checked",
      "rows_compared",
      "missing_found",
      "republished",
      "dead_lettered",
      "drift_left",
      "error",
    ],
    check: (rows, _z, range) => {
      const want = passesIn(range)
        .map(([mode, dry, status, at, seconds, ...counts]) => [
          utcEpoch(at) * 1000,
          mode,
          dry,
          status,
          seconds,
          ...counts,
        ])
        .reverse();
      expect(want.length).toBeGreaterThan(0);
      expect(
        rows.map((r) => [
          n(r.started),
          r.mode,
          n(r.dry_run),
          r.status,
          r.seconds === null ? null : n(r.seconds),
          ...[
            r.partitions_checked,
            r.rows_compared,
            r.missing_found,
            r.republished,
            r.dead_lettered,
            r.drift_left,
          ].map(n),
          r.error,
        ]),
      ).toEqual(want);
    },
  },
  "Latest dead letters": {
    columns: ["created", "topic", "partition_id", "record_offset", "reason_code", "reason"],
    check: (rows, _z, range) => {
      const want = deadLettersIn(range)
        .map(([p, o, code, at]) => [utcEpoch(at) * 1000, TOPIC, p, o, code, `test: ${code}`] as const)
        .sort((a, b) => b[0] - a[0]);
      expect(
        rows.map((r) => [
          n(r.created),
          r.topic,
          n(r.partition_id),
          n(r.record_offset),
          r.reason_code,
          r.reason,
        ]),
      ).toEqual(want);
    },
  },
};

// ---- the test -------------------------------------------------------------------------------------
async function runAsReader(z: Zone, sql: string): Promise<{ columns: string[]; rows: Row[] }> {
  const conn = await mysql.createConnection({
    host: config.mysql.host,
    port: config.mysql.port,
    user: config.mysql.reader.user,
    password: requireSecret(config.mysql.reader),
    database: config.mysql.database,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  try {
    await conn.query("SET time_zone = ?", [z.sessionZone]);
    const [rows, fields] = await conn.query(sql);
    return { columns: fields.map((f) => f.name), rows: rows as Row[] };
  } finally {
    await conn.end();
  }
}

describe("Grafana dashboard panels on the real warehouse (read-only account)", () => {
  it("has an expectation for every panel, and every panel queries the provisioned warehouse", () => {
    expect(panels.map((p) => p.title).sort()).toEqual(Object.keys(expectations).sort());
    for (const p of panels) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource.uid).toBe("jtp-warehouse");
    }
  });

  for (const zone of ZONES) {
    describe(`session time zone ${zone.name}`, () => {
      for (const panel of panels) {
        it(`${panel.title}: expanded SQL returns the expected columns and values`, async () => {
          const expectation = expectations[panel.title];
          expect(expectation, `no expectation for panel "${panel.title}"`).toBeDefined();
          const range = dayRange(zone);
          for (const target of panel.targets ?? []) {
            const sql = expandMysqlMacros(target.rawSql, range);
            expect(sql).not.toContain("$__");
            const { columns, rows } = await runAsReader(zone, sql);
            expect(columns).toEqual(expectation?.columns);
            expectation?.check(rows, zone, range);
          }
        });
      }
    });
  }

  it("the read-only account cannot write", async () => {
    await expect(runAsReader(ZONES[0] as Zone, "DELETE FROM events")).rejects.toThrow(/denied/i);
  });
});
