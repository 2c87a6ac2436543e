/**
 * Weighted latency samples, coalesced by whole millisecond: memory grows with the number of distinct
 * values (a few thousand for a local run), not with the number of events.
 */
export class LatencyHistogram {
  private readonly weights = new Map<number, number>();
  private total = 0;

  add(valueMs: number, weight = 1): void {
    if (!(weight > 0) || !Number.isFinite(valueMs)) return;
    const key = Math.max(0, Math.round(valueMs));
    this.weights.set(key, (this.weights.get(key) ?? 0) + weight);
    this.total += weight;
  }

  /** Adds every sample of another histogram. */
  merge(other: LatencyHistogram): void {
    for (const [value, weight] of other.weights) this.add(value, weight);
  }

  /** Sum of the weights (events) recorded. */
  get count(): number {
    return this.total;
  }

  /** Weighted percentile (0..100) in ms: the smallest value with at least p % of the weight at or below it. */
  percentile(p: number): number | undefined {
    if (this.total === 0) return undefined;
    const target = (Math.min(Math.max(p, 0), 100) / 100) * this.total;
    let acc = 0;
    const values = [...this.weights.keys()].sort((a, b) => a - b);
    for (const value of values) {
      acc += this.weights.get(value) ?? 0;
      if (acc >= target) return value;
    }
    return values.at(-1);
  }
}
