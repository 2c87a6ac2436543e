import { describe, expect, it } from "vitest";
import { FreshRuntime } from "../../lib/adapters/secrets/fresh-runtime.js";
import { loadConfig } from "../../lib/config/index.js";

const config = loadConfig({ JTP_STATE_DIR: "/nonexistent-jtp-state" });
const refused = Object.assign(new Error("Access denied for user"), { errno: 1045 });

/** A config loader whose credentials fingerprint the test changes; records each read's forceFetch. */
function loader() {
  const state = { fingerprint: "f1", reads: [] as boolean[] };
  const load = async ({ forceFetch }: { forceFetch: boolean }) => {
    state.reads.push(forceFetch);
    return { config, credentialsFingerprint: state.fingerprint };
  };
  return { state, load };
}

describe("FreshRuntime (the functions' config + runtime across warm invocations)", () => {
  it("keeps the runtime while the credentials are the same; rebuilds it and disposes of the old one when they change", async () => {
    const { state, load } = loader();
    const disposed: string[] = [];
    let built = 0;
    const runtimes = new FreshRuntime(
      load,
      () => `runtime-${++built}`,
      async (r) => {
        disposed.push(r);
      },
    );
    expect(await runtimes.current()).toMatchObject({ runtime: "runtime-1", rebuilt: false, config });
    expect(await runtimes.current()).toMatchObject({ runtime: "runtime-1", rebuilt: false });
    state.fingerprint = "f2";
    expect(await runtimes.current()).toMatchObject({
      runtime: "runtime-2",
      rebuilt: true,
      credentialsFingerprint: "f2",
    });
    expect(disposed).toEqual(["runtime-1"]);
  });

  it("after refused credentials the next read forces a fetch (once); other failures do not", async () => {
    const { state, load } = loader();
    const runtimes = new FreshRuntime(
      load,
      () => "runtime",
      async () => undefined,
    );
    await runtimes.current();
    expect(runtimes.failed(new Error("deadlock"))).toBe(false);
    await runtimes.current();
    expect(runtimes.failed(new Error("batch failed", { cause: refused }))).toBe(true);
    await runtimes.current();
    await runtimes.current();
    expect(state.reads).toEqual([false, false, true, false]);
  });
});
