import cassandra from "cassandra-driver";
import { describe, expect, it } from "vitest";
import type { CassandraClient } from "../../lib/adapters/cassandra/connection.js";
import { TrackingReader } from "../../lib/adapters/cassandra/tracking-reader.js";

/**
 * Amazon Keyspaces ends a page after 1 MB of data read, whatever the fetch size: a range read must
 * follow the paging state instead of taking a short first page for the end of the partition.
 */
function pagedClient(total: number, serverPageRows: number) {
  const calls: { fetchSize: number | undefined; pageState: string | undefined }[] = [];
  const ids = Array.from({ length: total }, () => cassandra.types.TimeUuid.now());
  const execute = async (
    _query: string,
    params: unknown[],
    options: { fetchSize?: number; pageState?: string },
  ) => {
    calls.push({ fetchSize: options.fetchSize, pageState: options.pageState });
    const limit = Number(params.at(-1));
    const start = options.pageState ? Number(options.pageState) : 0;
    const end = Math.min(total, limit, start + Math.min(serverPageRows, options.fetchSize ?? Infinity));
    const rows = ids
      .slice(start, end)
      .map((id) => ({ get: (col: string) => (col === "create_time" ? id : null) }));
    return { rows, pageState: end < Math.min(total, limit) ? String(end) : undefined };
  };
  return { client: { execute } as unknown as CassandraClient, calls };
}

describe("TrackingReader.readAfter follows pages", () => {
  it("returns every row up to the limit when the server cuts pages short", async () => {
    const { client, calls } = pagedClient(2_500, 700);
    const rows = await new TrackingReader(client).readAfter(0, 0, { afterMs: 0 }, 10_000, 2_000);
    expect(rows).toHaveLength(2_000);
    expect(new Set(rows.map((r) => r.create_time)).size).toBe(2_000);
    expect(calls.map((c) => c.fetchSize)).toEqual([2_000, 1_300, 600]);
  });

  it("makes one request when the first page holds everything (the local server's case)", async () => {
    const { client, calls } = pagedClient(300, 5_000);
    const rows = await new TrackingReader(client).readAfter(0, 0, { afterMs: 0 }, 10_000, 1_000);
    expect(rows).toHaveLength(300);
    expect(calls).toHaveLength(1);
  });
});
