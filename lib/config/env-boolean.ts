import { z } from "zod";

/** An environment flag: true/false, 1/0 or yes/no (any case), as a boolean. */
export const envBoolean = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(["true", "false", "1", "0", "yes", "no"], "must be true or false"))
  .transform((v) => v === "true" || v === "1" || v === "yes");
