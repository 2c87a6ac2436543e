import { PipelineError } from "../../lib/errors.js";

/** A local server could not be installed, started or stopped. The message names the log file and the likely fix. */
export class ServerError extends PipelineError {
  readonly server: string;
  readonly logFile: string | undefined;

  constructor(server: string, message: string, options?: { cause?: unknown; logFile?: string }) {
    super("SERVER_FAILED", `[${server}] ${message}`, options);
    this.server = server;
    this.logFile = options?.logFile;
  }
}
