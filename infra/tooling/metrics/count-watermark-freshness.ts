/** Weighted latency samples (e.g. per aggregator batch: now − oldest event time, weight = records). */
export class WeightedLatency {
  private readonly samples: Array<{ ms: number; weight: number }> = [];

  add(ms: number, weight: number): void {
    if (weight > 0 && Number.isFinite(ms)) this.samples.push({ ms, weight });
  }

  percentile(p: number): number | undefined {
    if (this.samples.length === 0) return undefined;
    const sorted = [...this.samples].sort((a, b) => a.ms - b.ms);
    const total = sorted.reduce((n, s) => n + s.weight, 0);
    let acc = 0;
    for (const s of sorted) {
      acc += s.weight;
      if (acc >= (p / 100) * total) return s.ms;
    }
    return sorted.at(-1)?.ms;
  }

  reset(): void {
    this.samples.length = 0;
  }

  get count(): number {
    return this.samples.length;
  }
}

/**
 * End-to-end freshness from counts: the generator records when each batch of events was written
 * (cumulative count, time); the warehouse reports how many events it has applied. When the applied
 * count passes a batch's cumulative count, that batch is visible: its freshness is the difference in
 * time. Partitions apply out of order, so this is a watermark estimate, weighted by batch size.
 */
export class CountWatermarkFreshness {
  private readonly pending: Array<{ cumulative: number; size: number; writtenAtMs: number }> = [];
  private readonly samples = new WeightedLatency();
  private written = 0;

  recordWritten(count: number, writtenAtMs: number): void {
    if (count <= 0) return;
    this.written += count;
    this.pending.push({ cumulative: this.written, size: count, writtenAtMs });
  }

  recordApplied(appliedTotal: number, observedAtMs: number): void {
    while (
      this.pending.length > 0 &&
      (this.pending[0]?.cumulative ?? Number.POSITIVE_INFINITY) <= appliedTotal
    ) {
      const b = this.pending.shift();
      if (b) this.samples.add(Math.max(0, observedAtMs - b.writtenAtMs), b.size);
    }
  }

  /** Weighted percentile (0..100) of freshness in ms over all visible batches; undefined before any. */
  percentile(p: number): number | undefined {
    return this.samples.percentile(p);
  }

  /** Forgets samples (e.g. between benchmark steps). */
  resetSamples(): void {
    this.samples.reset();
  }

  get sampleCount(): number {
    return this.samples.count;
  }
}
