import { TrackingWriter } from "../../../infra/tooling/cassandra/tracking-writer.js";
import { seededRng } from "../../../infra/tooling/generator/random.js";
import {
  buildCatalogue,
  randomTrackingEvent,
} from "../../../infra/tooling/generator/tracking-event-factory.js";
import { type CassandraClient, createCassandraClient } from "../../../lib/adapters/cassandra/connection.js";
import type { Config } from "../../../lib/config/index.js";
import { eventId, type TrackingRow } from "../../../lib/core/tracking-row.js";

/** Writes generated rows to the lake and remembers their ids (the ground truth for exactness checks). */
export class RecordingLakeWriter {
  readonly written = new Set<string>();
  private readonly client: CassandraClient;
  private readonly writer: TrackingWriter;
  private readonly rng;
  private readonly catalogue = buildCatalogue(200);

  constructor(config: Config, seed = 1) {
    this.client = createCassandraClient(config);
    this.writer = new TrackingWriter(
      this.client,
      config.cassandra.shards,
      config.cassandra.bucketSeconds * 1000,
    );
    this.rng = seededRng(seed);
  }

  /** `createdAt` simulates a writer clock (late rows: a time in the past). */
  async write(count: number, createdAt?: () => Date): Promise<TrackingRow[]> {
    const rows = Array.from({ length: count }, () => {
      const at = createdAt?.();
      const e = randomTrackingEvent(this.rng, this.catalogue, Date.now());
      return this.writer.prepare(at ? { ...e, createdAt: at } : e);
    });
    await this.writer.write(rows);
    for (const r of rows) this.written.add(eventId(r));
    return rows;
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}
