import { createHash } from "node:crypto";

/**
 * A short digest of the credentials filled from secrets (variable names and values, in a fixed
 * order). Equal fingerprints = same credentials; a handler keeps its pool / clients while the
 * fingerprint stays the same and rebuilds them when it changes (a rotated secret). The values
 * cannot be recovered from it; it may be logged.
 */
export function credentialsFingerprint(filled: Readonly<Record<string, string>>): string {
  const hash = createHash("sha256");
  for (const key of Object.keys(filled).sort()) hash.update(`${key}\u0000${filled[key]}\u0000`);
  return hash.digest("hex").slice(0, 16);
}
