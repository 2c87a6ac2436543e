import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context, ScheduledEvent } from "aws-lambda";
import { powertoolsLog } from "../../lib/adapters/logging/powertools-log.js";
import { loadConfigWithSecrets } from "../../lib/adapters/secrets/secrets-manager-env.js";
import { type InvocationSummary, runPollerInvocation } from "../../lib/use-cases/cdc/run-invocation.js";
import { createPoller, type PollerRuntime } from "./dependencies.js";

const logger = new Logger({ serviceName: "cdc-poller" });
const log = powertoolsLog(logger);

/** Kept across warm invocations: connections and the poller's in-window state. */
let runtime: PollerRuntime | undefined;

/**
 * Scheduled (EventBridge, at most once a minute). Polls the lake every CDC_POLL_INTERVAL_MS until the
 * remaining time falls below CDC_SAFETY_MARGIN_MS, publishing new rows to Kafka exactly once.
 */
export async function pollLake(_event: ScheduledEvent, context: Context): Promise<InvocationSummary> {
  // On AWS, Cassandra and Kafka SCRAM credentials may come from CASSANDRA_SECRET_ARN / KAFKA_SECRET_ARN
  // (Secrets Manager). MSK IAM needs no secret: the Kafka clients sign tokens with the role.
  const config = await loadConfigWithSecrets();
  runtime ??= createPoller(config, log);
  return runPollerInvocation(
    runtime.session,
    {
      remainingMs: () => context.getRemainingTimeInMillis(),
      safetyMarginMs: config.cdc.safetyMarginMs,
      pollIntervalMs: config.cdc.pollIntervalMs,
    },
    log,
  );
}

export const handler = middy(pollLake).use(injectLambdaContext(logger, { resetKeys: true }));
