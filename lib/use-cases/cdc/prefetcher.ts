import type { FastRead } from "./shard-reader.js";

/**
 * The next batch's fast reads, started while the current batch's transaction commits (only while a
 * backlog drains). A prefetch belongs to one generation of the poller's state: after a rebuild (or a
 * failed publish) it is discarded, never used.
 */
export class Prefetcher {
  private pending: { generation: object; reads: Promise<Map<number, FastRead> | undefined> } | undefined;

  start(generation: object, read: () => Promise<FastRead[]>): void {
    const reads = read().then(
      (list) => new Map(list.map((r) => [r.shard, r])),
      () => undefined, // a failed prefetch is simply redone by the next poll
    );
    this.pending = { generation, reads };
  }

  /** The prefetched reads if they were started for `generation`; consumed either way. */
  async take(generation: object): Promise<Map<number, FastRead> | undefined> {
    const p = this.pending;
    this.pending = undefined;
    if (!p || p.generation !== generation) return undefined;
    return p.reads;
  }

  clear(): void {
    this.pending = undefined;
  }
}
