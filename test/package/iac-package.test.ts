import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Json,
  type JsonObject,
  packagedStagesForFile,
  ROOT,
  run,
  STAGES,
  type Stage,
  type Template,
} from "./support/serverless-package.js";

/**
 * `serverless package` for every stage, offline and without credentials, then cfn-lint (PyPI) on the
 * generated CloudFormation and on the data-store templates; and the IAM policy is least privilege.
 * Packaging runs in a scratch copy of the project so it never touches the `.esbuild` build of a
 * `serverless offline` that may be running in the work tree.
 */

const packaged = packagedStagesForFile("jtp-iac-", 120_000);
const tpl = (stage: Stage): Template => packaged.template(stage);

/** Every IAM statement of the template, both branches of each Fn::If (a statement may be conditional). */
function iamStatements(t: Template): JsonObject[] {
  const out: JsonObject[] = [];
  const collect = (s: Json): void => {
    if (Array.isArray(s)) {
      for (const x of s) collect(x);
    } else if (s && typeof s === "object") {
      const branches = s["Fn::If"];
      if (Array.isArray(branches)) {
        collect(branches[1] ?? null);
        collect(branches[2] ?? null);
      } else if ("Effect" in s) out.push(s);
    }
  };
  for (const r of Object.values(t.Resources)) {
    if (r.Type === "AWS::IAM::Role") {
      for (const p of (r.Properties.Policies as JsonObject[] | undefined) ?? []) {
        collect(((p.PolicyDocument as JsonObject).Statement as Json) ?? null);
      }
      expect(
        r.Properties.ManagedPolicyArns,
        "no managed policies (they are not least privilege)",
      ).toBeUndefined();
    }
    if (
      r.Type === "AWS::IAM::Policy" ||
      r.Type === "AWS::IAM::ManagedPolicy" ||
      r.Type === "AWS::IAM::RolePolicy"
    ) {
      collect(((r.Properties.PolicyDocument as JsonObject).Statement as Json) ?? null);
    }
  }
  return out;
}
/** The Fn::Sub placeholder the role templates use for "<cluster name>/<cluster uuid>". */
const SUB_CLUSTER = ["$", "{Cluster}"].join("");
const asList = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Network-interface actions Lambda needs in a VPC; EC2 offers no resource-level scoping for them. */
const ALLOWED_ON_ANY_RESOURCE = new Set([
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
  "ec2:DescribeVpcs",
  "ec2:DescribeSubnets",
  "ec2:DescribeSecurityGroups",
]);

describe("serverless package (every stage, offline) and cfn-lint", () => {
  it("cfn-lint passes on the three generated templates and the data-store templates", async () => {
    const files = STAGES.map((s) => packaged.templatePath(s));
    const lint = await run("bash", [path.join(ROOT, "scripts/cfn-lint.sh"), ...files], {
      cwd: ROOT,
      timeout: 110_000,
    }).catch((err: { stdout?: string; stderr?: string; code?: number }) => err);
    const text = `${lint.stdout ?? ""}${lint.stderr ?? ""}`;
    expect("code" in lint ? lint.code : 0, `cfn-lint reported:\n${text}`).toBe(0);
    const dataStores = await run("bash", [path.join(ROOT, "scripts/cfn-lint.sh")], {
      cwd: ROOT,
      timeout: 60_000,
    }).catch((err: { stdout?: string; stderr?: string; code?: number }) => err);
    expect(
      "code" in dataStores ? dataStores.code : 0,
      `cfn-lint on infra/aws/templates:\n${dataStores.stdout ?? ""}${dataStores.stderr ?? ""}`,
    ).toBe(0);
  }, 120_000);

  it.each(STAGES)(
    "%s: grants no wildcard action, and '*' resources only for VPC network interfaces",
    (stage) => {
      const statements = iamStatements(tpl(stage));
      expect(statements.length).toBeGreaterThan(3);
      for (const s of statements) {
        expect(s.Effect).toBe("Allow");
        const actions = asList(s.Action).map(String);
        for (const a of actions) expect(a, `wildcard action in ${JSON.stringify(s)}`).not.toContain("*");
        expect(s.NotAction, "no NotAction").toBeUndefined();
        expect(s.NotResource, "no NotResource").toBeUndefined();
        const resources = asList(s.Resource);
        if (resources.includes("*")) {
          for (const a of actions) expect(ALLOWED_ON_ANY_RESOURCE.has(a), `${a} on "*"`).toBe(true);
        }
      }
    },
  );

  it("prod: MSK trigger is a raw event source mapping with batching, retries, on-failure destination and provisioned pollers", () => {
    const t = tpl("prod");
    const esm = t.Resources.AggregatorMskEventSourceMapping;
    expect(esm?.Type).toBe("AWS::Lambda::EventSourceMapping");
    expect(esm?.Condition).toBe("UseMsk");
    expect(t.Parameters?.KafkaTrigger?.Default).toBe("msk");
    expect(esm?.Properties).toMatchObject({
      EventSourceArn: { Ref: "MskClusterArn" },
      Topics: ["cassandra_cdc.tracking_lake.tracking"],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: "jtp-aggregator-prod" },
      StartingPosition: "TRIM_HORIZON",
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 1,
      MaximumRetryAttempts: 10000,
      MaximumRecordAgeInSeconds: 604800,
      BisectBatchOnFunctionError: false,
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 6 },
      DestinationConfig: {
        OnFailure: { Destination: { "Fn::GetAtt": ["AggregatorFailedBatchesQueue", "Arn"] } },
      },
    });
    const framework = Object.entries(t.Resources).filter(
      ([name, r]) =>
        r.Type === "AWS::Lambda::EventSourceMapping" && name !== "AggregatorMskEventSourceMapping",
    );
    expect(framework).toEqual([]);
  });

  it("prod: poller on a 1-minute schedule with reserved concurrency 1, no async retries; both functions in the VPC", () => {
    const t = tpl("prod");
    const poller = t.Resources.CdcPollerLambdaFunction?.Properties ?? {};
    expect(poller.ReservedConcurrentExecutions).toBe(1);
    expect(poller.Runtime).toBe("nodejs24.x");
    const rule = Object.values(t.Resources).find((r) => r.Type === "AWS::Events::Rule");
    expect(rule?.Properties).toMatchObject({ ScheduleExpression: "rate(1 minute)", State: "ENABLED" });
    const evConf = Object.values(t.Resources).find((r) => r.Type === "AWS::Lambda::EventInvokeConfig");
    expect(evConf?.Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
    for (const fn of ["CdcPollerLambdaFunction", "AggregatorLambdaFunction"]) {
      expect(t.Resources[fn]?.Properties.VpcConfig, fn).toMatchObject({
        SubnetIds: { "Fn::Split": [",", expect.stringMatching(/^subnet-/)] },
        SecurityGroupIds: { "Fn::Split": [",", expect.stringMatching(/^sg-/)] },
      });
    }
    const fnEnv = (t.Resources.AggregatorLambdaFunction?.Properties.Environment ?? {}) as JsonObject;
    const env = (fnEnv.Variables ?? {}) as JsonObject;
    expect(env.MYSQL_WRITER_SECRET_ARN).toMatch(/^arn:aws:secretsmanager:/);
    expect(JSON.stringify(env)).not.toMatch(/PASSWORD/);
  });

  it("prod: MSK and Secrets Manager permissions name the exact cluster, topics, group, transactional ids and secret", () => {
    const byAction = (action: string) =>
      iamStatements(tpl("prod")).filter((s) => asList(s.Action).map(String).includes(action));
    const resourcesOf = (action: string) => JSON.stringify(byAction(action).map((s) => s.Resource));
    // Poller, aggregator (its trigger) and reconciler.
    expect(byAction("kafka-cluster:Connect")).toHaveLength(3);
    expect(resourcesOf("kafka-cluster:Connect")).toBe(
      JSON.stringify([{ Ref: "MskClusterArn" }, { Ref: "MskClusterArn" }, { Ref: "MskClusterArn" }]),
    );
    expect(resourcesOf("kafka-cluster:AlterTransactionalId")).toContain(
      `:transactional-id/${SUB_CLUSTER}/jtp-reconciler.tracking_lake.scheduled`,
    );
    expect(resourcesOf("kafka-cluster:WriteData")).toContain(
      `:topic/${SUB_CLUSTER}/cassandra_cdc.tracking_lake.tracking`,
    );
    expect(resourcesOf("kafka-cluster:ReadData")).toContain(".tracking.checkpoints");
    expect(resourcesOf("kafka-cluster:AlterTransactionalId")).toContain(
      `:transactional-id/${SUB_CLUSTER}/jtp-cdc.tracking_lake.shards-*`,
    );
    expect(resourcesOf("kafka-cluster:AlterGroup")).toContain(`:group/${SUB_CLUSTER}/jtp-aggregator-prod`);
    expect(resourcesOf("kafka:DescribeClusterV2")).toBe(JSON.stringify([{ Ref: "MskClusterArn" }]));
    expect(resourcesOf("kafka-cluster:WriteDataIdempotently")).toBe(
      JSON.stringify([{ Ref: "MskClusterArn" }, { Ref: "MskClusterArn" }]),
    );
    expect(resourcesOf("secretsmanager:GetSecretValue")).toBe(
      JSON.stringify([
        { Ref: "CassandraSecretArn" },
        { Ref: "KafkaSecretArn" },
        { Ref: "KafkaAuthSecretArn" },
        { Ref: "MysqlWriterSecretArn" },
        { Ref: "CassandraSecretArn" },
        { Ref: "KafkaSecretArn" },
        { Ref: "MysqlWriterSecretArn" },
      ]),
    );
    expect(resourcesOf("sqs:SendMessage")).toContain("AggregatorFailedBatchesQueue");
  });

  it("prod: the poller authenticates to MSK with IAM over TLS and to Keyspaces over TLS; dev: SCRAM over TLS from the trigger's secret", () => {
    const envOf = (stage: Stage, fn: string): JsonObject => {
      const props = tpl(stage).Resources[fn]?.Properties ?? {};
      return ((props.Environment as JsonObject | undefined)?.Variables ?? {}) as JsonObject;
    };
    const prod = envOf("prod", "CdcPollerLambdaFunction");
    expect(prod).toMatchObject({
      KAFKA_SSL: "true",
      KAFKA_SASL_MECHANISM: "aws-msk-iam",
      CASSANDRA_SSL: "true",
      CASSANDRA_CONTACT_POINTS: "cassandra.eu-west-1.amazonaws.com:9142",
    });
    // Lambda sets AWS_REGION itself (a reserved variable); no Kafka secret with IAM.
    expect(prod.AWS_REGION).toBeUndefined();
    expect(prod.KAFKA_SECRET_ARN ?? "").toBe("");
    expect(tpl("prod").Parameters?.KafkaSecretArn?.Default).toBe("");
    // The aggregator has no Kafka client: its trigger authenticates by itself.
    expect(envOf("prod", "AggregatorLambdaFunction").KAFKA_SASL_MECHANISM).toBeUndefined();

    const dev = envOf("dev", "CdcPollerLambdaFunction");
    const devAuthSecret = tpl("dev").Parameters?.KafkaAuthSecretArn?.Default;
    expect(dev).toMatchObject({
      KAFKA_SSL: "true",
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_SECRET_ARN: devAuthSecret,
    });
    expect(tpl("dev").Parameters?.KafkaSecretArn?.Default).toBe(devAuthSecret);

    const local = envOf("local", "CdcPollerLambdaFunction");
    expect(local).toMatchObject({ KAFKA_SSL: "false", KAFKA_SASL_MECHANISM: "none", CASSANDRA_SSL: "false" });
  });

  it("local: LocalStack/offline shape (nodejs22.x, no VPC, no Kafka trigger); dev: self-managed Kafka trigger", () => {
    const local = tpl("local");
    expect(local.Parameters?.KafkaTrigger?.Default).toBe("none");
    expect(local.Resources.AggregatorLambdaFunction?.Properties.Runtime).toBe("nodejs22.x");
    expect(local.Resources.AggregatorLambdaFunction?.Properties.VpcConfig).toBeUndefined();
    const unconditionalEsm = Object.values(local.Resources).filter(
      (r) => r.Type === "AWS::Lambda::EventSourceMapping" && r.Condition === undefined,
    );
    expect(unconditionalEsm).toEqual([]);
    const rule = Object.values(local.Resources).find((r) => r.Type === "AWS::Events::Rule");
    expect(rule?.Properties.State).toBe("DISABLED");

    const dev = tpl("dev");
    const kafka = Object.values(dev.Resources).find(
      (r) => r.Type === "AWS::Lambda::EventSourceMapping" && r.Condition === undefined,
    );
    expect(kafka?.Properties).toMatchObject({
      Topics: ["cassandra_cdc.tracking_lake.tracking"],
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: "jtp-aggregator-dev" },
    });
  });
});
