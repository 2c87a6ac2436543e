// Guard: tests and local functions must run on the Lambda runtime's major (nodejs24.x).
// `npm install` brings Node 24 as the `node` devDependency and npm scripts put it first on PATH.
// If install scripts were blocked (--ignore-scripts) that binary is missing and npm would
// silently fall back to the system Node: fail loudly instead.
const expected = 24;
const major = Number(process.versions.node.split(".")[0]);
if (major !== expected) {
  console.error(
    `job-tracking-pipeline: running on Node ${process.version}, but the Lambda runtime is nodejs${expected}.x.\n` +
      `Fix: run \`npm install\` (with install scripts allowed) so node@${expected} lands in node_modules/.bin, ` +
      "then use `npm run …` / `npm test` / `npm start`, which put it first on PATH.",
  );
  process.exit(1);
}
