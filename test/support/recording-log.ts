import type { Log } from "../../lib/use-cases/ports/log.js";

export interface LogEntry {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly extra: Record<string, unknown> | undefined;
}

/** A Log that keeps every entry, for assertions. */
export class RecordingLog implements Log {
  readonly entries: LogEntry[] = [];

  debug(message: string, extra?: Record<string, unknown>): void {
    this.entries.push({ level: "debug", message, extra });
  }

  info(message: string, extra?: Record<string, unknown>): void {
    this.entries.push({ level: "info", message, extra });
  }

  warn(message: string, extra?: Record<string, unknown>): void {
    this.entries.push({ level: "warn", message, extra });
  }

  error(message: string, extra?: Record<string, unknown>): void {
    this.entries.push({ level: "error", message, extra });
  }

  /** Entries with this exact message, oldest first. */
  withMessage(message: string): LogEntry[] {
    return this.entries.filter((e) => e.message === message);
  }
}
