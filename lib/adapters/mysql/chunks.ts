/** Splits `items` into consecutive chunks of at most `size` items. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `(?, ?, ?), (?, ?, ?)` for `rows` rows of the given row placeholder. */
export function rowPlaceholders(rowPlaceholder: string, rows: number): string {
  return Array.from({ length: rows }, () => rowPlaceholder).join(", ");
}

/** A Uint8Array as a Buffer over the same memory (mysql2 escapes Buffers as binary literals). */
export function asBuffer(bytes: Uint8Array | null): Buffer | null {
  if (bytes === null) return null;
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
