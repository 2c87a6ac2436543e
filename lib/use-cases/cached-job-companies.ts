import { TtlCache } from "../core/ttl-cache.js";
import type { JobCompanyLookup } from "./apply-batch-ports.js";

export interface JobCacheOptions {
  readonly ttlMs: number;
  /** TTL of "job unknown" answers: short, so a dimension row that arrives later is picked up soon. */
  readonly negativeTtlMs: number;
  readonly maxEntries: number;
  readonly clock?: () => number;
}

/**
 * Wraps a job dimension lookup with a TTL cache: one batched lookup per batch for the cache misses
 * only. Known jobs are cached for `ttlMs`, unknown ones (company NULL) for `negativeTtlMs`.
 */
export function cachedJobCompanies(source: JobCompanyLookup, options: JobCacheOptions): JobCompanyLookup {
  const cache = new TtlCache<number, number | null>(options.maxEntries);
  const clock = options.clock ?? Date.now;
  return {
    async companyIds(jobIds) {
      const now = clock();
      const out = new Map<number, number>();
      const misses: number[] = [];
      for (const id of new Set(jobIds)) {
        const hit = cache.get(id, now);
        if (hit === undefined) misses.push(id);
        else if (hit !== null) out.set(id, hit);
      }
      if (misses.length > 0) {
        const found = await source.companyIds(misses);
        const at = clock();
        for (const id of misses) {
          const company = found.get(id);
          if (company === undefined) cache.set(id, null, options.negativeTtlMs, at);
          else {
            cache.set(id, company, options.ttlMs, at);
            out.set(id, company);
          }
        }
      }
      return out;
    },
  };
}
