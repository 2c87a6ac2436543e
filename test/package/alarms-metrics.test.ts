import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  DIMENSION,
  EMITTED_METRICS,
  METRIC_SERVICE,
  METRICS_NAMESPACE,
} from "../../lib/core/metrics/metric-names.js";
import {
  type Json,
  type JsonObject,
  packagedStagesForFile,
  type Resource,
  ROOT,
  STAGES,
  type Stage,
  type Template,
} from "./support/serverless-package.js";

/**
 * `serverless package` for every stage (offline, no credentials, in a scratch copy of the project),
 * then: every alarm and every dashboard graph of the generated CloudFormation names either an AWS/*
 * metric or a metric the code emits (lib/core/metrics/metric-names.ts: namespace, name for that
 * service, dimensions service + stage of that stage); the alarms exist in dev and prod only, notify
 * the SNS topic param, and the functions get the stage dimension and the secret max age.
 * (cfn-lint and the IAM checks of the same templates: test/package/iac-package.test.ts.)
 */

const REQUIRED_ALARMS = [
  "AggregatorOffsetLagAlarm",
  "AggregatorErrorsAlarm",
  "AggregatorThrottlesAlarm",
  "PollerSilentAlarm",
  "RowsBeyondBoundAlarm",
  "DeadLettersAlarm",
  "FreshnessP99Alarm",
  "DriftLeftAlarm",
] as const;

/** The dashboard body's Fn::Sub placeholder for the stage. */
const STAGE_PLACEHOLDER = `\${${"Stage"}}`;

const packaged = packagedStagesForFile("jtp-alarms-", 170_000);
const tpl = (stage: Stage): Template => packaged.template(stage);

const alarmsOf = (t: Template): Array<[string, Resource]> =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === "AWS::CloudWatch::Alarm");

const emitted = new Set(EMITTED_METRICS.map((m) => `${m.service}/${m.name}`));
const services = new Set<string>(Object.values(METRIC_SERVICE));

/** One metric an alarm or graph refers to. */
interface MetricRef {
  namespace: string;
  name: string;
  dimensions: Record<string, Json>;
}

/** The metric(s) of an alarm: a single metric, or each MetricStat of a metric-math alarm. */
function alarmMetrics(props: JsonObject): MetricRef[] {
  const dims = (list: Json | undefined): Record<string, Json> =>
    Object.fromEntries(
      ((list as JsonObject[] | undefined) ?? []).map((d) => [String(d.Name), d.Value ?? null]),
    );
  if (props.MetricName !== undefined) {
    return [
      {
        namespace: String(props.Namespace),
        name: String(props.MetricName),
        dimensions: dims(props.Dimensions),
      },
    ];
  }
  return ((props.Metrics as JsonObject[] | undefined) ?? []).flatMap((q) => {
    const m = (q.MetricStat as JsonObject | undefined)?.Metric as JsonObject | undefined;
    return m
      ? [{ namespace: String(m.Namespace), name: String(m.MetricName), dimensions: dims(m.Dimensions) }]
      : [];
  });
}

/** Why `m` is not a metric the code emits for `stage` (undefined = fine). */
function problem(m: MetricRef, stage: string): string | undefined {
  if (m.namespace.startsWith("AWS/")) return undefined;
  if (m.namespace !== METRICS_NAMESPACE) return `namespace ${m.namespace} is not ${METRICS_NAMESPACE}`;
  const names = Object.keys(m.dimensions).sort();
  if (JSON.stringify(names) !== JSON.stringify([DIMENSION.service, DIMENSION.stage].sort())) {
    return `dimensions ${names.join(",")} are not exactly service + stage`;
  }
  const service = String(m.dimensions[DIMENSION.service]);
  if (!services.has(service)) return `service ${service} is not one the code emits`;
  if (m.dimensions[DIMENSION.stage] !== stage)
    return `stage ${JSON.stringify(m.dimensions.stage)} is not ${stage}`;
  if (!emitted.has(`${service}/${m.name}`)) return `${m.name} is not emitted by ${service}`;
  return undefined;
}

describe("alarms and dashboard refer only to metrics the code emits (every stage)", () => {
  it.each(STAGES)("%s: every alarm names an AWS/* metric or one declared in metric-names.ts", (stage) => {
    const alarms = alarmsOf(tpl(stage));
    expect(alarms.length).toBeGreaterThanOrEqual(REQUIRED_ALARMS.length);
    for (const [name, r] of alarms) {
      const metrics = alarmMetrics(r.Properties);
      expect(metrics.length, `${name} has a metric`).toBeGreaterThan(0);
      for (const m of metrics) expect(problem(m, stage), `${name}: ${JSON.stringify(m)}`).toBeUndefined();
    }
  });

  it("the check itself rejects a misspelt name, a foreign dimension, another stage and another namespace", () => {
    const ok: MetricRef = {
      namespace: METRICS_NAMESPACE,
      name: "DeadLetters",
      dimensions: { service: "aggregator", stage: "prod" },
    };
    expect(problem(ok, "prod")).toBeUndefined();
    expect(problem({ ...ok, name: "DeadLetter" }, "prod")).toMatch(/not emitted/);
    expect(problem({ ...ok, name: "Polls" }, "prod")).toMatch(/not emitted by aggregator/);
    expect(problem({ ...ok, dimensions: { ...ok.dimensions, job_id: "1" } }, "prod")).toMatch(/dimensions/);
    expect(problem(ok, "dev")).toMatch(/stage/);
    expect(problem({ ...ok, namespace: "Other" }, "prod")).toMatch(/namespace/);
    expect(problem({ ...ok, namespace: "AWS/Lambda", name: "Errors" }, "prod")).toBeUndefined();
  });

  it.each(STAGES)(
    "%s: every graph of the operations dashboard names an AWS/* metric or a declared one",
    (stage) => {
      const dash = tpl(stage).Resources.OpsDashboard;
      if (!dash) throw new Error(`${stage}: no OpsDashboard resource`);
      expect(dash.Type).toBe("AWS::CloudWatch::Dashboard");
      expect(dash.Condition).toBe("CreateAlarms");
      const [body, vars] = (dash.Properties.DashboardBody as JsonObject)["Fn::Sub"] as [string, JsonObject];
      const placeholders = new Set([...body.matchAll(/\$\{([A-Za-z]+)\}/g)].map((m) => m[1]));
      expect([...placeholders].sort()).toEqual(Object.keys(vars).sort());
      expect(vars.Stage).toBe(stage);
      const widgets = (
        JSON.parse(body) as { widgets: Array<{ type: string; properties: { metrics?: Json[][] } }> }
      ).widgets;
      let graphs = 0;
      for (const w of widgets.filter((x) => x.type === "metric")) {
        for (const row of w.properties.metrics ?? []) {
          graphs++;
          const [namespace, name, ...rest] = row.filter((x) => typeof x === "string") as string[];
          const dimensions: Record<string, Json> = {};
          for (let i = 0; i + 1 < rest.length; i += 2) dimensions[rest[i] as string] = rest[i + 1] as string;
          if (dimensions.stage === STAGE_PLACEHOLDER) dimensions.stage = stage;
          const ref = { namespace: String(namespace), name: String(name), dimensions };
          expect(problem(ref, stage), JSON.stringify(row)).toBeUndefined();
        }
      }
      expect(graphs).toBeGreaterThan(20);
    },
  );
});

describe("alarms as code: dev and prod, thresholds as params, SNS notifications", () => {
  it("local creates none (AlarmsEnabled false); dev and prod create every required alarm", () => {
    expect(tpl("local").Parameters?.AlarmsEnabled?.Default).toBe("false");
    for (const stage of ["dev", "prod"] as const) {
      const t = tpl(stage);
      expect(t.Parameters?.AlarmsEnabled?.Default).toBe("true");
      expect(String(t.Parameters?.AlarmTopicArn?.Default)).toMatch(/^arn:aws:sns:[a-z0-9-]+:\d{12}:jtp-/);
      for (const name of REQUIRED_ALARMS) {
        const r = t.Resources[name];
        expect(r?.Type, `${stage} ${name}`).toBe("AWS::CloudWatch::Alarm");
        expect(r?.Condition).toBe("CreateAlarms");
        const topic = { "Fn::If": ["HasAlarmTopic", [{ Ref: "AlarmTopicArn" }], { Ref: "AWS::NoValue" }] };
        expect(r?.Properties.AlarmActions).toEqual(topic);
        expect(r?.Properties.OKActions).toEqual(topic);
        expect(String(r?.Properties.AlarmName)).toContain(`job-tracking-pipeline-${stage}-`);
        expect(String(r?.Properties.AlarmDescription)).toMatch(/Runbook: docs\/observability\.md#/);
      }
    }
  });

  it("prod: the failed-batch queue alarm (MSK on-failure destination); dev has no such queue", () => {
    const prod = tpl("prod").Resources.AggregatorFailedBatchesAlarm;
    expect(prod?.Condition).toBe("CreateFailedBatchesAlarm");
    expect(prod?.Properties).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [
        { Name: "QueueName", Value: { "Fn::GetAtt": ["AggregatorFailedBatchesQueue", "QueueName"] } },
      ],
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
    });
    expect(tpl("prod").Parameters?.KafkaTrigger?.Default).toBe("msk");
    expect(tpl("dev").Parameters?.KafkaTrigger?.Default).toBe("selfManaged");
  });

  it("prod: thresholds and evaluation come from the stage params", () => {
    const r = (n: string) => tpl("prod").Resources[n]?.Properties ?? {};
    expect(r("PollerSilentAlarm")).toMatchObject({
      MetricName: "Polls",
      Statistic: "Sum",
      Period: 60,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      TreatMissingData: "breaching",
    });
    expect(r("FreshnessP99Alarm")).toMatchObject({ ExtendedStatistic: "p99", Threshold: 30000 });
    expect(tpl("dev").Resources.FreshnessP99Alarm?.Properties.Threshold).toBe(60000);
    expect(r("AggregatorOffsetLagAlarm")).toMatchObject({
      Namespace: "AWS/Lambda",
      MetricName: "OffsetLag",
      Dimensions: [{ Name: "FunctionName", Value: { Ref: "AggregatorLambdaFunction" } }],
      Threshold: 100000,
      EvaluationPeriods: 10,
    });
    expect(r("DeadLettersAlarm")).toMatchObject({ Statistic: "Sum", Period: 300, Threshold: 100 });
    expect(r("RowsBeyondBoundAlarm")).toMatchObject({
      MetricName: "MissingFound",
      Period: 3600,
      Threshold: 0,
    });
    expect(r("DriftLeftAlarm")).toMatchObject({
      MetricName: "DriftLeft",
      Statistic: "Maximum",
      Threshold: 0,
    });
  });

  it("every alarm has a runbook row in docs/observability.md, and its description points there", () => {
    const doc = readFileSync(path.join(ROOT, "docs/observability.md"), "utf8");
    const runbook = doc.slice(doc.indexOf("## Runbook"), doc.indexOf("## Operations dashboard"));
    const alarms = alarmsOf(tpl("prod"));
    expect(alarms.length).toBe(REQUIRED_ALARMS.length + 1);
    for (const [resource, r] of alarms) {
      const name = resource.replace(/Alarm$/, "");
      const row = runbook.split("\n").find((line) => line.startsWith(`| \`${name}\` (`));
      expect(row, `runbook row for ${name}`).toBeDefined();
      expect(row?.split("|").filter((cell) => cell.trim() !== "")).toHaveLength(3);
      expect(String(r.Properties.AlarmDescription)).toContain(
        `Runbook: docs/observability.md#runbook (${name})`,
      );
    }
  });

  it.each(STAGES)(
    "%s: every function gets JTP_STAGE (the stage dimension) and SECRETS_MAX_AGE_SECONDS",
    (stage) => {
      const fns = Object.values(tpl(stage).Resources).filter((r) => r.Type === "AWS::Lambda::Function");
      expect(fns.length).toBeGreaterThanOrEqual(2);
      for (const fn of fns) {
        const env = ((fn.Properties.Environment as JsonObject | undefined)?.Variables ?? {}) as JsonObject;
        expect(env.JTP_STAGE).toBe(stage);
        expect(env.SECRETS_MAX_AGE_SECONDS).toBe("300");
      }
    },
  );
});
