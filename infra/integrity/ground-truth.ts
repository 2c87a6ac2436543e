import type { Pool } from "mysql2/promise";
import { createCassandraClient } from "../../lib/adapters/cassandra/connection.js";
import type { Config } from "../../lib/config/index.js";

/** Measures of one grain, as plain numbers (spend in cents: the generator's bids are whole cents). */
export interface GrainTotals {
  clicks: number;
  spendCents: number;
  conversion: number;
  qualified: number;
  disqualified: number;
}

export type Grains = Map<string, GrainTotals>;

const empty = (): GrainTotals => ({ clicks: 0, spendCents: 0, conversion: 0, qualified: 0, disqualified: 0 });

/**
 * Ground truth computed straight from the Cassandra rows with none of the pipeline's code:
 * grain = job|date|hour|publisher|campaign|group of the event time in UTC. `exclude` drops rows by
 * create_time (e.g. rows deliberately written beyond the late-row bound and never published).
 */
export async function truthFromLake(
  config: Config,
  exclude: ReadonlySet<string> = new Set(),
): Promise<Grains> {
  const client = createCassandraClient(config);
  const out: Grains = new Map();
  try {
    const rs = await client.execute(
      "SELECT create_time, job_id, ts, publisher_id, campaign_id, group_id, custom_track, bid FROM tracking",
      [],
      { prepare: true, fetchSize: 5000 },
    );
    for await (const row of rs) {
      if (exclude.has(String(row.get("create_time")))) continue;
      const iso = (row.get("ts") as Date).toISOString();
      const key = [
        row.get("job_id"),
        iso.slice(0, 10),
        Number(iso.slice(11, 13)),
        row.get("publisher_id") ?? 0,
        row.get("campaign_id") ?? 0,
        row.get("group_id") ?? 0,
      ].join("|");
      const m = out.get(key) ?? empty();
      const track = row.get("custom_track");
      if (track === "click") {
        m.clicks++;
        m.spendCents += Math.round(Number(row.get("bid")) * 100);
      } else if (track === "conversion") m.conversion++;
      else if (track === "qualified") m.qualified++;
      else if (track === "unqualified") m.disqualified++;
      out.set(key, m);
    }
  } finally {
    await client.shutdown();
  }
  return out;
}

/** The warehouse's grains (read-only account), in the same shape. */
export async function grainsFromWarehouse(pool: Pool): Promise<Grains> {
  const [rows] = await pool.query(
    `SELECT job_id, DATE_FORMAT(dates, '%Y-%m-%d') AS d, hours, publisher_id, campaign_id, group_id,
            clicks, ROUND(spend_hour * 100) AS spend_cents, conversion, qualified_application, disqualified_application
       FROM events`,
  );
  const out: Grains = new Map();
  for (const r of rows as Array<Record<string, string | number>>) {
    out.set([r.job_id, r.d, r.hours, r.publisher_id, r.campaign_id, r.group_id].join("|"), {
      clicks: Number(r.clicks),
      spendCents: Number(r.spend_cents),
      conversion: Number(r.conversion),
      qualified: Number(r.qualified_application),
      disqualified: Number(r.disqualified_application),
    });
  }
  return out;
}

export interface Comparison {
  /** Events in the lake that the warehouse does not count. */
  readonly lost: number;
  /** Events the warehouse counts more than once (or that are not in the lake). */
  readonly duplicated: number;
  readonly grainsCompared: number;
  readonly grainsDiffering: number;
  readonly spendDiffCents: number;
  readonly examples: string[];
}

/** Grain-by-grain comparison: every measure, summed as lost (warehouse short) and duplicated (warehouse over). */
export function compareGrains(truth: Grains, warehouse: Grains): Comparison {
  let lost = 0;
  let duplicated = 0;
  let differing = 0;
  let spendDiff = 0;
  const examples: string[] = [];
  const keys = new Set([...truth.keys(), ...warehouse.keys()]);
  for (const key of keys) {
    const t = truth.get(key) ?? empty();
    const w = warehouse.get(key) ?? empty();
    let diff = false;
    for (const m of ["clicks", "conversion", "qualified", "disqualified"] as const) {
      const d = w[m] - t[m];
      if (d > 0) duplicated += d;
      if (d < 0) lost -= d;
      if (d !== 0) diff = true;
    }
    if (w.spendCents !== t.spendCents) {
      diff = true;
      spendDiff += w.spendCents - t.spendCents;
    }
    if (diff) {
      differing++;
      if (examples.length < 5)
        examples.push(`${key}: lake ${JSON.stringify(t)} warehouse ${JSON.stringify(w)}`);
    }
  }
  return {
    lost,
    duplicated,
    grainsCompared: keys.size,
    grainsDiffering: differing,
    spendDiffCents: spendDiff,
    examples,
  };
}

export function totalEvents(g: Grains): number {
  let n = 0;
  for (const m of g.values()) n += m.clicks + m.conversion + m.qualified + m.disqualified;
  return n;
}
