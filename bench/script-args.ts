/**
 * Argument parsing shared by the bench and integrity scripts (commander): typed option parsers that
 * reject bad values (NaN, negatives, empty lists) with one clear line and exit code 1, instead of
 * `Number(argv[i + 1])` silently turning "abc" into NaN.
 */
import { Command, InvalidArgumentError } from "commander";

function integer(value: string, min: number, what: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min)
    throw new InvalidArgumentError(`expected ${what}.`);
  return n;
}

/** An integer ≥ 1. */
export const positiveInt = (value: string): number => integer(value, 1, "a whole number ≥ 1");

/** An integer ≥ 0. */
export const nonNegativeInt = (value: string): number => integer(value, 0, "a whole number ≥ 0");

/** A comma-separated list of integers ≥ 1, e.g. "1,2,4". */
export const positiveIntList = (value: string): number[] => {
  const parts = value.split(",");
  if (parts.some((p) => !Number.isInteger(Number(p)) || Number(p) < 1 || p.trim() === ""))
    throw new InvalidArgumentError("expected a comma-separated list of whole numbers ≥ 1, e.g. 1,2,4.");
  return parts.map(Number);
};

/**
 * A commander program for a script: `usage` is the description shown by --help. Unknown options and
 * excess arguments are errors (a mistyped option must not silently fall back to its default).
 */
export function scriptProgram(name: string, usage: string): Command {
  return new Command(name).description(usage).allowExcessArguments(false).showHelpAfterError(false);
}

/**
 * The script's arguments as commander's `parse(args, { from: "user" })` takes them, without one
 * leading `--` (so `npm exec -- tsx bench/x.ts -- --rounds 5` works as well as without it).
 */
export function scriptArgs(argv: readonly string[] = process.argv.slice(2)): string[] {
  return argv[0] === "--" ? argv.slice(1) : [...argv];
}
