import { z } from "zod";

/**
 * An environment string (trimmed) turned into a value by `parse`, which throws an Error for bad
 * input: the variable's issue is that error's message, or `explain(message)` (what a good value
 * looks like, with the reason).
 */
export function envParsed<T>(parse: (value: string) => T, explain: (problem: string) => string = (p) => p) {
  return z
    .string()
    .trim()
    .transform((value, ctx) => {
      try {
        return parse(value);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: explain((err as Error).message) });
        return z.NEVER;
      }
    });
}
