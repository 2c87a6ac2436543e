import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import {
  nonNegativeInt,
  positiveInt,
  positiveIntList,
  scriptArgs,
  scriptProgram,
} from "../../bench/script-args.js";
import { failureLine, refusedAddress } from "../../infra/cli/connection-failure.js";

function parse(args: string[]): { load: number; kills: number; rates: number[] } {
  return scriptProgram("t", "test")
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .option("--load <s>", "", positiveInt, 90)
    .option("--kills <n>", "", nonNegativeInt, 6)
    .option("--rates <list>", "", positiveIntList, [1, 2])
    .parse(args, { from: "user" })
    .opts();
}

describe("bench script arguments", () => {
  it("uses the defaults and parses good values", () => {
    expect(parse([])).toEqual({ load: 90, kills: 6, rates: [1, 2] });
    expect(parse(["--load", "30", "--kills", "0", "--rates", "500,2000"])).toEqual({
      load: 30,
      kills: 0,
      rates: [500, 2000],
    });
  });

  it.each([
    [["--load", "abc"]],
    [["--load", "NaN"]],
    [["--load", "-5"]],
    [["--load", "0"]],
    [["--load", "1.5"]],
    [["--load", ""]],
    [["--kills", "-1"]],
    [["--rates", "1,x"]],
    [["--rates", "1,,2"]],
    [["--rates", "0"]],
    [["--unknown", "1"]],
  ])("rejects %j with one error line", (args) => {
    expect(() => parse(args)).toThrow(CommanderError);
  });

  it("takes the arguments with or without one leading -- (npm exec -- tsx bench/x.ts -- --load 30)", () => {
    expect(scriptArgs(["--", "--load", "30"])).toEqual(["--load", "30"]);
    expect(scriptArgs(["--load", "30"])).toEqual(["--load", "30"]);
    expect(parse(scriptArgs(["--", "--load", "30"]))).toMatchObject({ load: 30 });
    expect(() => parse(["--", "--load", "30"])).toThrow(CommanderError);
  });
});

describe("a server that cannot be reached", () => {
  it("is found in the shapes the three drivers throw", () => {
    const mysql = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:3306"), {
      code: "ECONNREFUSED",
      address: "127.0.0.1",
      port: 3306,
    });
    expect(refusedAddress(mysql)).toBe("127.0.0.1:3306");
    const node = new AggregateError([mysql], "");
    expect(refusedAddress(node)).toBe("127.0.0.1:3306");
    const cassandra = Object.assign(new Error("All host(s) tried for query failed."), {
      innerErrors: { "127.0.0.1:9042": new Error("connect ECONNREFUSED 127.0.0.1:9042") },
    });
    expect(refusedAddress(cassandra)).toBe("127.0.0.1:9042");
    const kafka = Object.assign(new Error("Connection error"), {
      originalError: new Error("connect ECONNREFUSED 127.0.0.1:9092"),
    });
    expect(refusedAddress(new Error("retries exceeded", { cause: kafka }))).toBe("127.0.0.1:9092");
  });

  it("becomes one line that says what to run; other failures are left as they are", () => {
    const line = failureLine("integrity", new Error("connect ECONNREFUSED 127.0.0.1:3306"));
    expect(line).toContain("npm run servers -- start");
    expect(line?.split("\n")).toHaveLength(1);
    expect(failureLine("integrity", new Error("table missing"))).toBeUndefined();
  });
});
