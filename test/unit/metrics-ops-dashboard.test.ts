import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  buildOpsDashboardBody,
  OPS_DASHBOARD_FILE,
  renderOpsDashboardYaml,
} from "../../infra/aws/ops-dashboard.js";

describe("operations dashboard as code (infra/aws/ops-dashboard.ts)", () => {
  it("the committed infra/aws/ops-dashboard.yml is what the TypeScript source generates", () => {
    expect(readFileSync(OPS_DASHBOARD_FILE, "utf8"), "run: npx tsx infra/aws/ops-dashboard.ts").toBe(
      renderOpsDashboardYaml(),
    );
  });

  it("the body is valid dashboard JSON with a stream-health row first", () => {
    const body = JSON.parse(buildOpsDashboardBody()) as {
      widgets: Array<{ type: string; y: number; properties: { title?: string } }>;
    };
    const graphs = body.widgets.filter((w) => w.type === "metric").sort((a, b) => a.y - b.y);
    expect(graphs.length).toBeGreaterThanOrEqual(10);
    expect(graphs[0]?.properties.title).toMatch(/Freshness/);
  });
});
