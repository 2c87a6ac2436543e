/**
 * Version-1 UUID time arithmetic (RFC 9562 §5.1), pure: the lake's create_time is a timeuuid.
 * 100-ns intervals since 1582-10-15; JavaScript only needs millisecond precision here.
 */
const GREGORIAN_OFFSET_MS = 12_219_292_800_000;

/** Epoch milliseconds encoded in a version-1 UUID string. */
export function timeuuidToMs(uuid: string): number {
  const hex = uuid.replace(/-/g, "");
  if (hex.length !== 32 || hex[12] !== "1") throw new Error(`not a version-1 (time) UUID: ${uuid}`);
  const timeLow = hex.slice(0, 8);
  const timeMid = hex.slice(8, 12);
  const timeHi = hex.slice(13, 16);
  const ticks = BigInt(`0x${timeHi}${timeMid}${timeLow}`);
  return Number(ticks / 10_000n) - GREGORIAN_OFFSET_MS;
}
