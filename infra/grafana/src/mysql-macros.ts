/**
 * Grafana's MySQL macro expansion, reproduced for tests: the panels' SQL is expanded for a fixed
 * time range and run on the real database. Mirrors the rules of Grafana's MySQL data source
 * (pkg/tsdb/mysql/macros.go): a macro is `$name(args)` where args run to the first `)`, are split
 * on `,` and trimmed; times are whole epoch seconds (UTC).
 */
export interface TimeRange {
  /** Epoch milliseconds. */
  readonly fromMs: number;
  readonly toMs: number;
}

const MACRO = /\$([_a-zA-Z0-9]+)\(([^)]*)\)/g;

const INTERVAL_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** Grafana interval strings used with $__timeGroup: "30s", "5m", "1h", "1d", "1w". */
export function intervalSeconds(spec: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(spec.replace(/^['"]|['"]$/g, ""));
  if (!m?.[1] || !m[2]) throw new Error(`unsupported interval ${spec}`);
  if (m[2] === "ms") return Number(m[1]) / 1000;
  return Number(m[1]) * (INTERVAL_SECONDS[m[2]] ?? Number.NaN);
}

/** Expands every Grafana MySQL macro of `sql` for `range`; throws on an unknown macro or missing argument. */
export function expandMysqlMacros(sql: string, range: TimeRange): string {
  const from = Math.floor(range.fromMs / 1000);
  const to = Math.floor(range.toMs / 1000);
  return sql.replace(MACRO, (_whole, name: string, rawArgs: string) => {
    const args = rawArgs.split(",").map((a) => a.trim());
    const column = () => {
      if (args[0] === undefined || args[0] === "")
        throw new Error(`missing time column argument for macro ${name}`);
      return args[0];
    };
    const group = () => {
      if (args.length < 2 || args[1] === undefined)
        throw new Error(`macro ${name} needs a column and an interval`);
      const s = intervalSeconds(args[1]);
      return { column: column(), s };
    };
    switch (name) {
      case "__time":
      case "__timeEpoch":
        return `UNIX_TIMESTAMP(${column()}) as time_sec`;
      case "__timeFilter":
        return `${column()} BETWEEN FROM_UNIXTIME(${from}) AND FROM_UNIXTIME(${to})`;
      case "__timeFrom":
        return `FROM_UNIXTIME(${from})`;
      case "__timeTo":
        return `FROM_UNIXTIME(${to})`;
      case "__timeGroup": {
        const g = group();
        return `UNIX_TIMESTAMP(${g.column}) DIV ${g.s} * ${g.s}`;
      }
      case "__timeGroupAlias": {
        const g = group();
        return `UNIX_TIMESTAMP(${g.column}) DIV ${g.s} * ${g.s} AS "time"`;
      }
      case "__unixEpochFilter": {
        const c = column();
        return `${c} >= ${from} AND ${c} <= ${to}`;
      }
      case "__unixEpochFrom":
        return String(from);
      case "__unixEpochTo":
        return String(to);
      case "__unixEpochGroup": {
        const g = group();
        return `${g.column} DIV ${g.s} * ${g.s}`;
      }
      case "__unixEpochGroupAlias": {
        const g = group();
        return `${g.column} DIV ${g.s} * ${g.s} AS "time"`;
      }
      default:
        throw new Error(`unknown macro $${name}`);
    }
  });
}
