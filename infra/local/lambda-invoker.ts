import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from "@aws-sdk/client-lambda";
import { PipelineError } from "../../lib/errors.js";

/** The function answered with an error (X-Amz-Function-Error), or could not be reached. */
export class InvocationFailedError extends PipelineError {
  constructor(functionName: string, detail: string, options?: { cause?: unknown }) {
    super("INVOCATION_FAILED", `${functionName} failed: ${detail}`, options);
  }
}

export interface Invoker {
  invoke(functionName: string, event: unknown): Promise<unknown>;
}

/** Invokes functions on serverless-offline's Lambda endpoint (or real Lambda) synchronously. */
export function lambdaInvoker(endpoint: string | undefined, region = "eu-west-1"): Invoker {
  const client = new LambdaClient({
    region,
    ...(endpoint ? { endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}),
    maxAttempts: 1,
  });
  return {
    async invoke(functionName, event) {
      let response: InvokeCommandOutput;
      try {
        response = await client.send(
          new InvokeCommand({
            FunctionName: functionName,
            InvocationType: "RequestResponse",
            Payload: JSON.stringify(event),
          }),
        );
      } catch (cause) {
        throw new InvocationFailedError(functionName, `could not invoke: ${(cause as Error).message}`, {
          cause,
        });
      }
      const text = Buffer.from(response.Payload ?? new Uint8Array()).toString("utf8");
      if (response.FunctionError)
        throw new InvocationFailedError(functionName, `${response.FunctionError}: ${text.slice(0, 500)}`);
      return text.length > 0 ? (JSON.parse(text) as unknown) : undefined;
    },
  };
}
