import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/**
 * docker-compose.yml checked without a Docker engine (this machine's docker client has no compose
 * plugin, so `docker compose config` cannot run here): images pinned, health checks, start order
 * through healthy/completed dependencies, no committed passwords, mounted paths that exist.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string; interval?: string; retries?: number };
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  restart?: string;
}
const compose = parse(readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const svc = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
};
const imageTag = (image: string) => image.slice(image.lastIndexOf(":") + 1);

describe("docker-compose.yml", () => {
  it("has the whole stack", () => {
    expect(Object.keys(services).sort()).toEqual(
      ["cassandra", "grafana", "kafka", "localstack", "migrate", "mysql", "pipeline"].sort(),
    );
  });

  it("pins every image to an exact version (no latest, no bare major)", () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build !== undefined) {
        expect(s.image, `${name}: a built image gets a local name`).toMatch(/:local$/);
        continue;
      }
      expect(s.image, name).toBeDefined();
      expect(imageTag(s.image ?? ""), `${name}: ${s.image}`).toMatch(/^\d+\.\d+\.\d+$/);
    }
    const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^FROM node:24\.\d+\.\d+-bookworm-slim$/m);
  });

  it("uses the versions the project targets: Cassandra 5.0, Kafka 3.9 in KRaft mode, MySQL 8, a pre-2026-03 LocalStack", () => {
    expect(svc("cassandra").image).toMatch(/^cassandra:5\.0\.\d+$/);
    expect(svc("kafka").image).toMatch(/^apache\/kafka:3\.9\.\d+$/);
    expect(svc("kafka").environment?.KAFKA_PROCESS_ROLES).toBe("broker,controller");
    expect(svc("kafka").environment?.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe("false");
    expect(svc("mysql").image).toMatch(/^mysql:8\.\d+\.\d+$/);
    const [major, minor] = imageTag(svc("localstack").image ?? "")
      .split(".")
      .map(Number);
    // Community images up to 4.13 predate the March 2026 consolidation (auth token required after it).
    expect(major).toBe(4);
    expect(minor).toBeLessThanOrEqual(13);
  });

  it("gives every long-running service a health check", () => {
    for (const [name, s] of Object.entries(services)) {
      if (name === "migrate") continue;
      expect(s.healthcheck?.test, name).toBeDefined();
      expect(s.healthcheck?.retries, name).toBeGreaterThan(0);
    }
    expect(svc("migrate").restart).toBe("no");
  });

  it("starts services only when their dependencies are healthy (or the migration has completed)", () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.depends_on === undefined) continue;
      expect(Array.isArray(s.depends_on), `${name}: depends_on must use conditions`).toBe(false);
      for (const [dep, { condition }] of Object.entries(s.depends_on)) {
        expect(services[dep], `${name} depends on unknown ${dep}`).toBeDefined();
        const expected = dep === "migrate" ? "service_completed_successfully" : "service_healthy";
        expect(condition, `${name} -> ${dep}`).toBe(expected);
      }
    }
    expect(Object.keys(svc("migrate").depends_on ?? {}).sort()).toEqual(["cassandra", "kafka", "mysql"]);
    expect(Object.keys(svc("pipeline").depends_on ?? {})).toContain("migrate");
    expect(Object.keys(svc("grafana").depends_on ?? {})).toContain("migrate");
  });

  it("runs the same main job as locally, against the compose services only", () => {
    const p = svc("pipeline");
    expect(p.command?.slice(0, 4)).toEqual(["npm", "start", "--", "--external"]);
    expect(svc("migrate").command).toEqual(["npm", "run", "migrate"]);
    expect(p.environment).toMatchObject({
      JTP_LOCAL_SERVERS: "none",
      KAFKA_BROKERS: "kafka:19092",
      CASSANDRA_CONTACT_POINTS: "cassandra:9042",
      MYSQL_HOST: "mysql",
    });
  });

  it("commits no password: every secret comes from the (git-ignored) .env", () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (!/PASSWORD|SECRET|TOKEN/.test(key)) continue;
        expect(String(value), `${name}.${key}`).toMatch(/^\$\{[A-Z_]+:\?[^}]+\}$/);
      }
    }
    expect(readFileSync(path.join(ROOT, ".gitignore"), "utf8")).toMatch(/^\.env$/m);
  });

  it("mounts Grafana's provisioning and dashboards from the repository, where the provider looks for them", () => {
    const g = svc("grafana");
    const mounts = (g.volumes ?? []).map((v) => v.split(":"));
    for (const [host] of mounts) expect(existsSync(path.join(ROOT, host ?? "")), host).toBe(true);
    const provider = parse(
      readFileSync(path.join(ROOT, "infra/grafana/provisioning/dashboards/job-tracking.yaml"), "utf8"),
    ) as { providers: Array<{ options: { path: string } }> };
    const dashboardsMount = mounts.find(([host]) => host === "./infra/grafana/dashboards");
    expect(dashboardsMount?.[1]).toBe(provider.providers[0]?.options.path);
    expect(g.environment).toMatchObject({ MYSQL_READER_USER: "grafana_reader", MYSQL_HOST: "mysql" });
    expect(existsSync(path.join(ROOT, "infra/grafana/dashboards/job-tracking.json"))).toBe(true);
  });

  it("wires LocalStack with its init hooks", () => {
    const l = svc("localstack");
    const hooks = (l.volumes ?? []).find((v) => v.includes("/etc/localstack/init/ready.d"));
    expect(hooks).toBeDefined();
    expect(existsSync(path.join(ROOT, hooks?.split(":")[0] ?? ""))).toBe(true);
    expect(l.environment?.SERVICES).toMatch(/lambda/);
  });
});
