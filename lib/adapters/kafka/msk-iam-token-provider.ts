import type { OauthbearerProviderResponse } from "kafkajs";
import { KafkaAuthError } from "./kafka-errors.js";

/** A signed MSK IAM token and when it expires (epoch ms), as `aws-msk-iam-sasl-signer-js` returns it. */
export interface MskAuthToken {
  readonly token: string;
  readonly expiryTime: number;
}

/** Signs a new token for the region (the real one: AWS's signer with the default credential chain). */
export type MskTokenSigner = (region: string) => Promise<MskAuthToken>;

/**
 * AWS's signer (`aws-msk-iam-sasl-signer-js`): a presigned `kafka-cluster:Connect` URL for
 * `kafka.<region>.amazonaws.com`, base64url-encoded, valid 15 minutes (less if the credentials expire
 * sooner). Credentials come from the default chain: the Lambda role's variables, a profile, IMDS…
 * Loaded on first use, so processes that never talk to MSK never load the AWS SDK.
 */
export const awsMskTokenSigner: MskTokenSigner = async (region) => {
  const { generateAuthToken } = await import("aws-msk-iam-sasl-signer-js");
  return generateAuthToken({ region });
};

export interface MskIamTokenProviderOptions {
  readonly region: string;
  readonly sign?: MskTokenSigner;
  readonly now?: () => number;
  /**
   * A cached token is reused only while it is valid for at least this much longer (default 3 min).
   * kafkajs re-authenticates a connection shortly (10 s) before the session lifetime the broker
   * derives from the token's expiry, and asks the provider again: it then gets a fresh token.
   */
  readonly minRemainingMs?: number;
}

/**
 * kafkajs `oauthBearerProvider` for MSK IAM. kafkajs calls it on every (re-)authentication of every
 * broker connection; one token serves all of them until it comes close to expiry, then a new one is
 * signed (concurrent calls share one signing). A token that expired while the Lambda sandbox was
 * frozen is never handed out: the expiry is checked on every call.
 */
export function createMskIamTokenProvider(
  options: MskIamTokenProviderOptions,
): () => Promise<OauthbearerProviderResponse> {
  const sign = options.sign ?? awsMskTokenSigner;
  const now = options.now ?? Date.now;
  const minRemainingMs = options.minRemainingMs ?? 180_000;
  let cached: MskAuthToken | undefined;
  let pending: Promise<MskAuthToken> | undefined;

  const refresh = async (): Promise<MskAuthToken> => {
    let token: MskAuthToken;
    try {
      token = await sign(options.region);
    } catch (cause) {
      throw new KafkaAuthError(
        `MSK IAM: could not sign an auth token for region ${options.region} (${(cause as Error).message}); ` +
          "check the AWS credentials (the function's role) and AWS_REGION",
        { cause },
      );
    }
    if (typeof token.token !== "string" || token.token === "" || !(token.expiryTime > now())) {
      throw new KafkaAuthError(`MSK IAM: the signer returned an empty or already expired token`);
    }
    cached = token;
    return token;
  };

  return async () => {
    if (cached && cached.expiryTime - now() >= minRemainingMs) return { value: cached.token };
    pending ??= refresh().finally(() => {
      pending = undefined;
    });
    const token = await pending;
    return { value: token.token };
  };
}

const providers = new Map<string, () => Promise<OauthbearerProviderResponse>>();

/** The process-wide provider of a region: every Kafka client of the process shares its token. */
export function sharedMskIamTokenProvider(region: string): () => Promise<OauthbearerProviderResponse> {
  let provider = providers.get(region);
  if (!provider) {
    provider = createMskIamTokenProvider({ region });
    providers.set(region, provider);
  }
  return provider;
}
