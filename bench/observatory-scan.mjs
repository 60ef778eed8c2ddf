// Scan one path of a host with the MDN HTTP Observatory's own code (npm package
// @mdn/mdn-http-observatory). Its CLI and scan() fetch "/" only; its retriever also takes a path,
// so this runs the package's retriever, tests and grader on PATH, computing the score exactly as
// the package's scan() does (src/scanner/index.js).
// Usage: node observatory-scan.mjs HOST PATH   (from a directory where the package is installed)
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [host = "localhost", scanPath = "/api/health/"] = process.argv.slice(2);
const require = createRequire(path.join(process.cwd(), "noop.js"));
const root = path.dirname(require.resolve("@mdn/mdn-http-observatory/package.json"));
const load = (file) => import(pathToFileURL(path.join(root, "src", file)).href);

const { retrieve } = await load("retriever/retriever.js");
const { ALL_TESTS, ALGORITHM_VERSION, NUM_TESTS } = await load("constants.js");
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await load("grader/charts.js");
const { getGradeForScore, getScoreModifier } = await load("grader/grader.js");

const retrieved = await retrieve(host, { path: scanPath });
if (!retrieved.responses.auto) {
  console.error(`${host}${scanPath} did not answer`);
  process.exit(2);
}
let testsPassed = 0;
let withExtraCredit = 100;
let uncurved = 100;
const tests = {};
for (const test of ALL_TESTS) {
  const result = test(retrieved);
  if (result.result) {
    result.scoreModifier = getScoreModifier(result.result);
    testsPassed += result.pass ? 1 : 0;
    withExtraCredit += result.scoreModifier;
    if (result.scoreModifier < 0) uncurved += result.scoreModifier;
  }
  tests[result.constructor.name] = {
    pass: result.pass,
    result: result.result,
    scoreModifier: result.scoreModifier ?? 0,
  };
}
const final = getGradeForScore(
  uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withExtraCredit : uncurved,
);
const scan = {
  algorithmVersion: ALGORITHM_VERSION,
  url: `${host}${scanPath}`,
  statusCode: retrieved.responses.auto.status,
  grade: final.grade,
  score: final.score,
  testsPassed,
  testsQuantity: NUM_TESTS,
  responseHeaders: Object.fromEntries(Object.entries(retrieved.responses.auto.headers)),
};
console.log(JSON.stringify({ scan, tests }, null, 2));
