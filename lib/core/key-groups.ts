import type { KafkaRecord } from "./kafka-record.js";

/**
 * Splits a batch into `groups` groups by record key, keeping the batch order inside each group.
 *
 * Records are keyed by job_id (DESIGN semantics 6) and every grain contains the job_id, so two
 * groups never feed the same aggregate row: each group can be aggregated and upserted on its own
 * without upserting any row twice. (A producer keying otherwise stays correct — the upserts are
 * additive — it only loses that property.) Records without a key go to group 0.
 */
export function groupByKey(records: readonly KafkaRecord[], groups: number): KafkaRecord[][] {
  if (!Number.isInteger(groups) || groups < 1) {
    throw new RangeError(`groups must be a positive integer, got ${groups}`);
  }
  const out: KafkaRecord[][] = Array.from({ length: groups }, () => []);
  for (const r of records) {
    const index = r.key === null || groups === 1 ? 0 : fnv1a(r.key) % groups;
    (out[index] as KafkaRecord[]).push(r);
  }
  return out.filter((g) => g.length > 0);
}

/** 32-bit FNV-1a of the string's UTF-16 code units (the key is base64: ASCII). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
