import type { Config } from "../../config/index.js";
import { isAuthenticationFailure } from "./auth-failure.js";
import { RebuildOnChange } from "./rebuild-on-change.js";
import type { ConfigWithCredentials } from "./secrets-manager-env.js";

export interface CurrentRuntime<T> {
  readonly config: Config;
  readonly runtime: T;
  /** A runtime built for older credentials was replaced (and disposed of). */
  readonly rebuilt: boolean;
  readonly credentialsFingerprint: string;
}

/**
 * A function's config and the runtime wired from it (pools, clients), kept across warm invocations.
 * Each `current()` reads the config with fresh secrets (`load`: Secrets Manager behind its max-age
 * cache) and builds a new runtime when the credentials changed (a rotated secret), disposing of the
 * old one. After an invocation failed on refused credentials (`failed(err)`), the next `current()`
 * reads the secrets again at once (`forceFetch`): a rotation has just happened. One invocation at a
 * time per instance, as Lambda runs them.
 */
export class FreshRuntime<T> {
  private forceFetch = false;
  private readonly runtimes: RebuildOnChange<T>;

  constructor(
    private readonly load: (options: { forceFetch: boolean }) => Promise<ConfigWithCredentials>,
    private readonly build: (config: Config) => T,
    dispose: (runtime: T) => Promise<void>,
  ) {
    this.runtimes = new RebuildOnChange(dispose);
  }

  async current(): Promise<CurrentRuntime<T>> {
    const { config, credentialsFingerprint } = await this.load({ forceFetch: this.forceFetch });
    this.forceFetch = false;
    const { value, rebuilt } = await this.runtimes.get(credentialsFingerprint, () => this.build(config));
    return { config, runtime: value, rebuilt, credentialsFingerprint };
  }

  /**
   * Call when an invocation failed. Refused credentials make the next `current()` re-read the
   * secrets at once; returns whether it will.
   */
  failed(err: unknown): boolean {
    if (isAuthenticationFailure(err)) this.forceFetch = true;
    return this.forceFetch;
  }
}
