/**
 * Work queued on a batch transaction's connection, run one piece after the other in the
 * background while the caller goes on (validating the rest of the batch).
 *
 * Pieces never overlap: each is a sequence of statements that must not interleave with another.
 * After a failure nothing more runs — after a deadlock the server has already rolled the
 * transaction back, and a statement sent then would run outside it. `settle()` waits for everything
 * queued and throws the first failure; `idle()` only waits (it never rejects), so a transaction
 * never ends with a statement of its own still on the way.
 */
export class SerialWork {
  private tail: Promise<void> = Promise.resolve();
  private failure: { readonly error: unknown } | undefined;

  /** Runs `piece` after every piece queued before it, unless one of them failed. */
  enqueue(piece: () => Promise<void>): void {
    this.tail = this.tail.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await piece();
      } catch (error) {
        this.failure = { error };
      }
    });
  }

  /** Whether a piece has failed (what is queued after it will not run). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** Waits for everything queued; throws the first failure. */
  async settle(): Promise<void> {
    await this.tail;
    if (this.failure !== undefined) throw this.failure.error;
  }
}
