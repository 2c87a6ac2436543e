import { BaseProvider } from "@aws-lambda-powertools/parameters/base";
import type { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";

/** Reads one secret's string value (a stand-in for Secrets Manager in tests). */
export interface SecretStringReader {
  getSecretString(secretArn: string): Promise<string>;
}

/** What the secret loading needs of a Powertools provider: `get` with `maxAge` / `forceFetch` (cached). */
export interface CachingSecretProvider {
  get(name: string, options?: { maxAge?: number; forceFetch?: boolean }): Promise<unknown>;
  clearCache(): void;
}

/** A Powertools provider over any reader: Powertools' cache (maxAge, forceFetch) in front of it. */
class ReaderProvider extends BaseProvider {
  constructor(private readonly reader: SecretStringReader) {
    super({});
  }

  protected override _get(name: string): Promise<string> {
    return this.reader.getSecretString(name);
  }

  protected override _getMultiple(): Promise<Record<string, unknown> | undefined> {
    return Promise.reject(new Error("reading several secrets by path is not supported"));
  }
}

let secretsManager: SecretsProvider | undefined;
const byReader = new Map<SecretStringReader, ReaderProvider>();

/**
 * The provider for `reader`: without one, Powertools' SecretsProvider (AWS SDK v3, region and
 * credentials from the Lambda environment); with one, a provider with the same cache over it.
 * One provider per reader per process, so warm invocations hit the cache until `maxAge`. The AWS
 * SDK is loaded on first use only (runs without a secret ARN, e.g. local ones, never load it).
 */
export async function secretProviderFor(reader?: SecretStringReader): Promise<CachingSecretProvider> {
  if (reader === undefined) {
    if (!secretsManager) {
      const { SecretsProvider: Provider } = await import("@aws-lambda-powertools/parameters/secrets");
      secretsManager ??= new Provider();
    }
    return secretsManager;
  }
  let provider = byReader.get(reader);
  if (!provider) {
    provider = new ReaderProvider(reader);
    byReader.set(reader, provider);
  }
  return provider;
}

/** Forget every cached secret value (tests; the next read goes to the source). */
export function clearSecretProviders(): void {
  secretsManager?.clearCache();
  byReader.clear();
}
