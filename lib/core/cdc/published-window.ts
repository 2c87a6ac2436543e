/**
 * The ids of rows already published whose create_time lies inside the late-row window, per shard.
 * A row seen again by a look-back sweep is published only if its id is not here. Entries older than
 * the window are pruned (rows that late are beyond the configured bound).
 */
export class PublishedWindow {
  private readonly ids = new Map<string, number>();

  get size(): number {
    return this.ids.size;
  }

  has(eventId: string): boolean {
    return this.ids.has(eventId);
  }

  add(eventId: string, createTimeMs: number): void {
    this.ids.set(eventId, createTimeMs);
  }

  /** Forgets ids with create_time before `beforeMs`. */
  prune(beforeMs: number): number {
    let removed = 0;
    for (const [id, t] of this.ids) {
      if (t < beforeMs) {
        this.ids.delete(id);
        removed++;
      }
    }
    return removed;
  }
}
