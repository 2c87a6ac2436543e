import type { Logger } from "@aws-lambda-powertools/logger";
import type { Log } from "../../use-cases/ports/log.js";

/** Adapts a Powertools Logger (structured JSON lines, Lambda context keys) to the use cases' Log port. */
export function powertoolsLog(logger: Logger): Log {
  const wrap =
    (level: "debug" | "info" | "warn" | "error") =>
    (message: string, extra?: Record<string, unknown>): void => {
      if (extra) logger[level]({ message, ...extra } as Parameters<Logger["info"]>[0]);
      else logger[level](message);
    };
  return { debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
}
