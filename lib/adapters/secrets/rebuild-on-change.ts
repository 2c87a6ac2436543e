/**
 * Keeps one resource (a MySQL pool, Kafka / Cassandra clients) across warm invocations and builds
 * a new one when the credentials fingerprint changes (a rotated secret): the old one is disposed
 * of once the new one is in place (a failure to dispose of it is ignored). Meant for one
 * invocation at a time per instance, as Lambda runs them.
 */
export class RebuildOnChange<T> {
  private current: { readonly fingerprint: string; readonly value: T } | undefined;

  constructor(private readonly dispose: (value: T) => Promise<void>) {}

  /** The resource for `fingerprint` (built by `build` when none is kept for it); `rebuilt` when an older one was replaced. */
  async get(fingerprint: string, build: () => T): Promise<{ value: T; rebuilt: boolean }> {
    const old = this.current;
    if (old && old.fingerprint === fingerprint) return { value: old.value, rebuilt: false };
    const value = build();
    this.current = { fingerprint, value };
    if (old) await this.dispose(old.value).catch(() => undefined);
    return { value, rebuilt: old !== undefined };
  }
}
