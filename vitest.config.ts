import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure logic and handlers, no servers) and `integration`
// (talks to the real Kafka, Cassandra and MariaDB started by `jtp servers start`).
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
