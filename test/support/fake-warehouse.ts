import { type TopicPartition, topicPartitionKey } from "../../lib/core/kafka-record.js";
import type {
  DeadLetter,
  LedgerPosition,
  Warehouse,
  WarehouseRow,
  WarehouseTx,
} from "../../lib/use-cases/apply-batch-ports.js";

/** In-memory warehouse with transactional semantics (state copied on begin, kept on commit only). */
export interface FakeWarehouseState {
  ledger: Map<string, number>;
  processed: Set<string>;
  facts: Map<string, { clicks: number; spend: bigint; conversion: number; company: number | null }>;
  deadLetters: Map<string, DeadLetter>;
}

export class FakeWarehouse implements Warehouse {
  state: FakeWarehouseState = {
    ledger: new Map(),
    processed: new Set(),
    facts: new Map(),
    deadLetters: new Map(),
  };
  failNextTransactions: Array<() => Error> = [];
  /** Fails the next claimEventIds call (inside the transaction, mid-batch). */
  failNextClaim: (() => Error) | undefined;
  /** Calls made on transactions, in order ("claim 3", "upsert 2", …). */
  calls: string[] = [];
  /** Called at each upsert (e.g. to see how much of the batch was validated by then). */
  onUpsert: (() => void) | undefined;
  transactions = 0;

  async ensureLedger(partitions: readonly TopicPartition[]): Promise<void> {
    for (const p of partitions)
      if (!this.state.ledger.has(topicPartitionKey(p))) this.state.ledger.set(topicPartitionKey(p), -1);
  }

  async transaction<T>(work: (tx: WarehouseTx) => Promise<T>): Promise<T> {
    this.transactions++;
    this.calls.push("begin");
    const s = this.state;
    const copy: FakeWarehouseState = {
      ledger: new Map(s.ledger),
      processed: new Set(s.processed),
      facts: new Map([...s.facts].map(([k, v]) => [k, { ...v }])),
      deadLetters: new Map(s.deadLetters),
    };
    const tx: WarehouseTx = {
      lockLedger: async (ps) =>
        new Map(ps.map((p) => [topicPartitionKey(p), copy.ledger.get(topicPartitionKey(p)) ?? -1])),
      claimEventIds: async (ids) => {
        this.calls.push(`claim ${ids.length}`);
        const failure = this.failNextClaim;
        this.failNextClaim = undefined;
        if (failure) throw failure();
        const already = new Set(ids.filter((i) => copy.processed.has(i)));
        for (const i of ids) copy.processed.add(i);
        return already;
      },
      upsertAggregates: async (rows: readonly WarehouseRow[]) => {
        this.calls.push(`upsert ${rows.length}`);
        this.onUpsert?.();
        for (const r of rows) {
          const k = `${r.jobId}|${r.dates}|${r.hours}|${r.publisherId}|${r.campaignId}|${r.groupId}`;
          const f = copy.facts.get(k) ?? { clicks: 0, spend: 0n, conversion: 0, company: null };
          f.clicks += r.clicks;
          f.spend += r.spendMicros;
          f.conversion += r.conversion;
          f.company = r.companyId ?? f.company;
          copy.facts.set(k, f);
        }
      },
      insertDeadLetters: async (ls) => {
        for (const l of ls) {
          const k = `${l.topic}|${l.partition}|${l.offset}`;
          if (!copy.deadLetters.has(k)) copy.deadLetters.set(k, l);
        }
      },
      advanceLedger: async (ps: readonly LedgerPosition[]) => {
        this.calls.push("ledger");
        for (const p of ps) {
          const k = topicPartitionKey(p);
          copy.ledger.set(k, Math.max(copy.ledger.get(k) ?? -1, p.offset));
        }
      },
    };
    const result = await work(tx);
    const failure = this.failNextTransactions.shift();
    if (failure) throw failure(); // fails at commit: nothing of `copy` is kept
    this.state = copy;
    return result;
  }

  async pruneProcessedEvents(): Promise<number> {
    return 0;
  }

  totalClicks(): number {
    return [...this.state.facts.values()].reduce((a, f) => a + f.clicks, 0);
  }
}
