import type { Context } from "aws-lambda";

/**
 * A Lambda context for a function run in this process (tests, benches): function `jtp-local-<name>`,
 * 512 MB, a fresh request id, and `remainingMs` as the time left (default: always 300 s).
 */
export function localLambdaContext(name: string, remainingMs: () => number = () => 300_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `jtp-local-${name}`,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:jtp-local-${name}`,
    memoryLimitInMB: "512",
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: `/aws/lambda/jtp-local-${name}`,
    logStreamName: "local",
    getRemainingTimeInMillis: remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
