import { type Config, loadConfig } from "../../../lib/config/index.js";

/** Integration tests use the same config as the CLI: local servers from `jtp servers start` unless overridden. */
export function testConfig(): Config {
  return loadConfig();
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
