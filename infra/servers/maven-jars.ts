import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensureDir, run, which } from "./supervisor.js";

/**
 * Resolves a server's jars from Maven Central with a throw-away pom (see infra/servers/<name>/pom.xml)
 * into a git-ignored folder. A marker file makes it idempotent and safe against half-finished downloads.
 */
export function ensureMavenJars(
  server: string,
  pom: string,
  jarDir: string,
  log: (l: string) => void,
): string {
  const marker = path.join(jarDir, ".complete");
  if (existsSync(marker)) return jarDir;
  if (!which("mvn")) {
    throw new Error(
      `[${server}] Maven (mvn) is not installed. Fix: apt-get install -y maven (and a JDK 17: openjdk-17-jdk-headless)`,
    );
  }
  log(`${server}: resolving jars from Maven Central into ${jarDir} (first time only, ~10-60 s)`);
  rmSync(jarDir, { recursive: true, force: true });
  ensureDir(jarDir);
  const started = Date.now();
  run(
    server,
    "mvn",
    [
      "-B",
      "-q",
      "-f",
      pom,
      "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
      "-DincludeScope=runtime",
      `-DoutputDirectory=${jarDir}`,
    ],
    { hint: "check that Maven Central is reachable (mvn -v; ~/.m2/settings.xml mirrors) and retry" },
  );
  const count = readdirSync(jarDir).filter((f) => f.endsWith(".jar")).length;
  writeFileSync(marker, `${new Date().toISOString()} ${count} jars\n`);
  log(`${server}: ${count} jars in ${Math.round((Date.now() - started) / 1000)} s`);
  return jarDir;
}

export function requireJava(server: string): string {
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : which("java");
  if (!java || !existsSync(java)) {
    throw new Error(
      `[${server}] Java 17 is not installed. Fix: apt-get install -y openjdk-17-jdk-headless maven`,
    );
  }
  return java;
}
