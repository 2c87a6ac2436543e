import { afterEach, describe, expect, it, vi } from "vitest";
import { kafkaClientConfig } from "../../lib/adapters/kafka/kafka-client-config.js";
import { KafkaAuthError } from "../../lib/adapters/kafka/kafka-errors.js";
import {
  createMskIamTokenProvider,
  type MskAuthToken,
} from "../../lib/adapters/kafka/msk-iam-token-provider.js";
import { loadConfig } from "../../lib/config/index.js";

/** Fake static credentials (AWS's documentation example values): signing is local, no network. */
function fakeAwsCredentials(): void {
  vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  vi.stubEnv("AWS_SESSION_TOKEN", undefined);
  vi.stubEnv("AWS_PROFILE", undefined);
  vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
}

afterEach(() => {
  vi.unstubAllEnvs();
});

function decode(token: string): URL {
  return new URL(Buffer.from(token, "base64url").toString("utf8"));
}

describe("MSK IAM token (aws-msk-iam-sasl-signer-js, real signer, fake static credentials)", () => {
  it("is a base64url presigned kafka-cluster:Connect URL for the region, signed with SigV4", async () => {
    fakeAwsCredentials();
    const before = Date.now();
    const provider = createMskIamTokenProvider({ region: "eu-west-1" });
    const { value } = await provider();
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
    const url = decode(value);
    expect(url.protocol).toBe("https:");
    expect(url.host).toBe("kafka.eu-west-1.amazonaws.com");
    const q = url.searchParams;
    expect(q.get("Action")).toBe("kafka-cluster:Connect");
    expect(q.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(q.get("X-Amz-Credential")).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/);
    expect(q.get("X-Amz-Expires")).toBe("900");
    expect(q.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    const signedAt = Date.parse(
      (q.get("X-Amz-Date") ?? "").replace(
        /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
        "$1-$2-$3T$4:$5:$6Z",
      ),
    );
    expect(signedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });

  it("is what kafkajs gets from the options of an aws-msk-iam client", async () => {
    fakeAwsCredentials();
    const kafka = loadConfig(
      { KAFKA_SASL_MECHANISM: "aws-msk-iam", KAFKA_SSL: "true", AWS_REGION: "us-east-2" },
      { readSecretsFile: false },
    ).kafka;
    const sasl = kafkaClientConfig(kafka).sasl;
    if (sasl?.mechanism !== "oauthbearer") throw new Error("expected oauthbearer");
    const url = decode((await sasl.oauthBearerProvider()).value);
    expect(url.host).toBe("kafka.us-east-2.amazonaws.com");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("MSK IAM token provider: reuse and refresh", () => {
  function fakeSigner(ttlMs: number, clock: { now: number }) {
    let n = 0;
    const sign = vi.fn(async (_region: string): Promise<MskAuthToken> => {
      n++;
      return { token: `token-${n}`, expiryTime: clock.now + ttlMs };
    });
    return sign;
  }

  it("reuses a token while it has enough life left, then signs a new one before it expires", async () => {
    const clock = { now: 1_000_000 };
    const sign = fakeSigner(900_000, clock);
    const provider = createMskIamTokenProvider({ region: "eu-west-1", sign, now: () => clock.now });
    expect(await provider()).toEqual({ value: "token-1" });
    clock.now += 600_000; // 5 min left: still reused
    expect(await provider()).toEqual({ value: "token-1" });
    clock.now += 200_000; // 100 s left (< 3 min): kafkajs is re-authenticating, give it a fresh token
    expect(await provider()).toEqual({ value: "token-2" });
    expect(sign).toHaveBeenCalledTimes(2);
  });

  it("never hands out a token that expired meanwhile (e.g. a frozen Lambda sandbox)", async () => {
    const clock = { now: 0 };
    const sign = fakeSigner(900_000, clock);
    const provider = createMskIamTokenProvider({ region: "eu-west-1", sign, now: () => clock.now });
    await provider();
    clock.now += 3_600_000;
    expect(await provider()).toEqual({ value: "token-2" });
  });

  it("signs once for concurrent (re-)authentications of several broker connections", async () => {
    const clock = { now: 0 };
    const sign = fakeSigner(900_000, clock);
    const provider = createMskIamTokenProvider({ region: "eu-west-1", sign, now: () => clock.now });
    const tokens = await Promise.all([provider(), provider(), provider()]);
    expect(tokens.map((t) => t.value)).toEqual(["token-1", "token-1", "token-1"]);
    expect(sign).toHaveBeenCalledTimes(1);
  });

  it("wraps a signing failure in a KafkaAuthError with the cause, and tries again on the next call", async () => {
    const clock = { now: 0 };
    const cause = new Error("Could not load credentials from any providers");
    const sign = vi
      .fn<(region: string) => Promise<MskAuthToken>>()
      .mockRejectedValueOnce(cause)
      .mockResolvedValueOnce({ token: "ok", expiryTime: 900_000 });
    const provider = createMskIamTokenProvider({ region: "eu-west-1", sign, now: () => clock.now });
    const error = await provider().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaAuthError);
    expect(error).toMatchObject({ code: "KAFKA_AUTH", cause });
    expect((error as Error).message).toMatch(
      /MSK IAM: could not sign an auth token for region eu-west-1 .*Could not load credentials/,
    );
    expect(await provider()).toEqual({ value: "ok" });
  });

  it("rejects an already expired token from the signer", async () => {
    const provider = createMskIamTokenProvider({
      region: "eu-west-1",
      sign: async () => ({ token: "old", expiryTime: 5 }),
      now: () => 10,
    });
    await expect(provider()).rejects.toBeInstanceOf(KafkaAuthError);
  });
});
