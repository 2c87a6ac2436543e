// Fails if a tracked file looks like it carries a credential. Runs in `npm test` (and so in CI).
// Patterns: cloud keys, private keys, and password/secret assignments with a literal value.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const files = execFileSync("git", ["ls-files", "-z"], { encoding: "utf8" }).split("\0").filter(Boolean);
const rules = [
  { name: "AWS access key id", re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: "private key block", re: /-----BEGIN (RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----/ },
  { name: "AWS secret access key assignment", re: /aws_secret_access_key\s*[=:]\s*["']?[A-Za-z0-9/+]{40}/i },
  {
    name: "password/secret with a literal value",
    // Config-like files only (code reads secrets from the config module, never literals).
    files: /(\.(env|ya?ml|json|properties|ini|conf|cfg|toml|sh)|Dockerfile|\/run)$/,
    // (?!smanager:) skips IAM action names such as secretsmanager:GetSecretValue.
    re: /(password|secret(?!smanager:)|token)[a-z_]*["']?\s*[=:]\s*["']?(?!\$|\{|<|…|\.\.\.|\*\*\*|arn:)[^\s"'`,;)}]{8,}/i,
  },
];
// Allowed on purpose: documentation placeholders and test fixtures with obviously fake values.
const allowed = [/^test\//, /^README\.md$/, /^scripts\/scan-secrets\.mjs$/, /package-lock\.json$/];
const findings = [];
for (const file of files) {
  if (allowed.some((a) => a.test(file))) continue;
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    continue;
  }
  text.split("\n").forEach((line, i) => {
    for (const r of rules)
      if ((!r.files || (r.files.test(file) && !line.includes("arn:aws"))) && r.re.test(line))
        findings.push(`${file}:${i + 1}: ${r.name}`);
  });
}
if (findings.length > 0) {
  console.error(
    `scan-secrets: ${findings.length} possible credential(s) in tracked files:\n  ${findings.join("\n  ")}`,
  );
  process.exit(1);
}
console.log(`scan-secrets: ${files.length} tracked files, no credentials found`);
