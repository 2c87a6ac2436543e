/**
 * Reporting hour of an event time: the local date (YYYY-MM-DD) and hour (0-23) of an epoch-ms
 * instant in an IANA time zone, DST included. Pure; formatters and results are cached.
 */
export interface HourBucket {
  /** Local calendar date, `YYYY-MM-DD`. */
  readonly dates: string;
  /** Local hour, 0-23. */
  readonly hours: number;
}

export type HourBucketer = (epochMs: number) => HourBucket;

/**
 * Results are cached per 15-minute slot of UTC time. Every UTC offset in use today is a multiple of
 * 15 minutes and every transition happens on such a slot boundary, so a whole slot maps to one local
 * hour. The cache is only used for a slot after checking it: same UTC offset and same local hour at
 * the slot's first and last millisecond (otherwise — historic LMT offsets, odd transitions — each
 * instant is formatted on its own), so the answer is exact either way.
 */
const SLOT_MS = 15 * 60_000;
const MAX_CACHED_SLOTS = 100_000;

interface Wall {
  readonly dates: string;
  readonly hours: number;
  /** Local wall time minus UTC, ms (whole seconds). */
  readonly offsetMs: number;
}

const bucketers = new Map<string, HourBucketer>();

/** The (cached) bucketer of `timeZone`. Throws RangeError for an unknown zone (config validates it first). */
export function hourBucketer(timeZone: string): HourBucketer {
  let b = bucketers.get(timeZone);
  if (b === undefined) {
    b = createHourBucketer(timeZone);
    bucketers.set(timeZone, b);
  }
  return b;
}

function createHourBucketer(timeZone: string): HourBucketer {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  const wallOf = (epochMs: number): Wall => {
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    for (const p of format.formatToParts(epochMs)) {
      switch (p.type) {
        case "year":
          y = Number(p.value);
          break;
        case "month":
          mo = Number(p.value);
          break;
        case "day":
          d = Number(p.value);
          break;
        case "hour":
          h = Number(p.value);
          break;
        case "minute":
          mi = Number(p.value);
          break;
        case "second":
          s = Number(p.value);
          break;
        default:
          break;
      }
    }
    const wallUtc = Date.UTC(y, mo - 1, d, h, mi, s);
    return {
      dates: `${String(y).padStart(4, "0")}-${pad2(mo)}-${pad2(d)}`,
      hours: h,
      offsetMs: wallUtc - Math.floor(epochMs / 1000) * 1000,
    };
  };

  // slot number → bucket of the whole slot, or null when the slot is not uniform.
  const cache = new Map<number, HourBucket | null>();
  return (epochMs: number): HourBucket => {
    const slot = Math.floor(epochMs / SLOT_MS);
    let cached = cache.get(slot);
    if (cached === undefined) {
      const first = wallOf(slot * SLOT_MS);
      const last = wallOf(slot * SLOT_MS + SLOT_MS - 1);
      cached =
        first.offsetMs === last.offsetMs && first.hours === last.hours && first.dates === last.dates
          ? { dates: first.dates, hours: first.hours }
          : null;
      if (cache.size >= MAX_CACHED_SLOTS) cache.clear();
      cache.set(slot, cached);
    }
    if (cached !== null) return cached;
    const w = wallOf(epochMs);
    return { dates: w.dates, hours: w.hours };
  };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
