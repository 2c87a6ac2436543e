import { defineConfig } from "vitest/config";

// Three projects:
// - `unit`: pure logic and handlers on fakes of our own ports; no servers, no network, no child tools.
// - `package`: runs the deployment framework (`serverless package`) and cfn-lint (a Python tool it
//   installs into a venv on first use) over the generated templates; no servers, but slow.
// - `integration`: talks to the real Kafka, Cassandra and MariaDB started by `jtp servers start`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "package",
          include: ["test/package/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Each file packages the whole project: one at a time on a 2-core machine.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Integration suites share real servers: run files one at a time.
          fileParallelism: false,
        },
      },
    ],
    allowOnly: false,
  },
});
