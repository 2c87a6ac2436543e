import type { OutgoingMessage } from "../../core/change-message.js";
import type { ChangePublisher } from "./reconcile-ports.js";

/** Buffers messages and publishes them in transactions of at most `batchRows`. */
export class Outbox {
  private buffer: OutgoingMessage[] = [];
  published = 0;

  constructor(
    private readonly publisher: ChangePublisher,
    private readonly batchRows: number,
  ) {}

  async add(m: OutgoingMessage): Promise<void> {
    this.buffer.push(m);
    if (this.buffer.length >= this.batchRows) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    await this.publisher.publish(batch);
    this.published += batch.length;
  }
}
