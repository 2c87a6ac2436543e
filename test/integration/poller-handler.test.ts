import { setTimeout as sleep } from "node:timers/promises";
import type { Context, ScheduledEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handler } from "../../functions/cdc-poller/handler.js";
import { localLambdaContext } from "../../infra/local/lambda-context.js";
import type { Config } from "../../lib/config/index.js";
import { EVENT_ID_HEADER } from "../../lib/core/envelope.js";
import { trackingTopic } from "../../lib/schema-names.js";
import { isolatedLake, readAllChangeEvents } from "./support/isolated-lake.js";
import { RecordingLakeWriter } from "./support/lake-writer.js";

function scheduledEvent(): ScheduledEvent {
  return {
    version: "0",
    id: "8d0f4c9e-0000-4000-8000-000000000001",
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "123456789012",
    time: new Date().toISOString(),
    region: "eu-west-1",
    resources: ["arn:aws:events:eu-west-1:123456789012:rule/jtp-cdc-poller"],
    detail: {},
  };
}

function lambdaContext(budgetMs: number): Context {
  const deadline = Date.now() + budgetMs;
  return localLambdaContext("cdc-poller", () => deadline - Date.now());
}

describe("cdc-poller Lambda handler", () => {
  let lake: Awaited<ReturnType<typeof isolatedLake>>;
  let config: Config;

  beforeAll(async () => {
    lake = await isolatedLake("jtp_t_phandler", {
      CDC_START_FROM: new Date(Date.now() - 60_000).toISOString(),
      CDC_SAFETY_MARGIN_MS: "1500",
      CDC_POLL_INTERVAL_MS: "200",
      POWERTOOLS_LOG_LEVEL: "WARN",
    });
    config = lake.config;
    Object.assign(process.env, lake.env);
  });

  afterAll(async () => {
    await lake.drop();
  });

  it("returns before its time budget and publishes rows written before and during the invocation", async () => {
    const writer = new RecordingLakeWriter(config, 21);
    await writer.write(800);
    const budgetMs = 8_000;
    const started = Date.now();
    const invocation = handler(scheduledEvent(), lambdaContext(budgetMs));
    for (let i = 0; i < 10; i++) {
      await writer.write(30);
      await sleep(200);
    }
    const summary = await invocation;
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(budgetMs);
    expect(summary.stoppedBy).toBe("time");
    expect(summary.polls).toBeGreaterThan(5);
    expect(summary.published).toBe(1_100);
    const ids = (await readAllChangeEvents(config)).map((m) => m.headers?.[EVENT_ID_HEADER]?.toString());
    expect(new Set(ids)).toEqual(writer.written);
    expect(ids).toHaveLength(1_100);
    await writer.close();
  });

  it("publishes Debezium-shaped envelopes keyed by job_id on the keyspace's topic", async () => {
    const [message] = await readAllChangeEvents(config);
    expect(message).toBeDefined();
    const envelope = JSON.parse(message?.value?.toString() ?? "{}");
    expect(envelope.payload.op).toBe("c");
    expect(envelope.payload.before).toBeNull();
    expect(typeof envelope.payload.ts_ms).toBe("number");
    expect(envelope.payload.source).toMatchObject({ keyspace: config.cassandra.keyspace, table: "tracking" });
    expect(message?.key?.toString()).toBe(String(envelope.payload.after.job_id));
    expect(Object.keys(envelope.payload.after)).toEqual(
      expect.arrayContaining(["create_time", "job_id", "custom_track", "bid", "ts", "utm_source", "vp"]),
    );
    expect(trackingTopic(config.cassandra.keyspace)).toBe(
      `cassandra_cdc.${config.cassandra.keyspace}.tracking`,
    );
  });
});
