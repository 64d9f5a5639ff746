// The web UI's weight and speed, as Chromium sees it through nginx (gzip) on loopback.
//
// For each page: the bytes of JavaScript and CSS transferred with an empty cache, and
// DOMContentLoaded; for a list page, the time from navigation until 100 rows are drawn;
// for a tuning job of 200 trials, the time until its counter and chart show them all.
// Both times twice: for a cold load (a new browser context opening the address), and for
// a navigation inside the running app (the router taking a link from another page).
// The baseline is the same index.html with JavaScript off: what the server and the
// browser cost before the SPA does anything.
//
// Against a running platform with MovieLens 100K uploaded and valid in one of the
// administrator's projects (`make test-e2e` leaves one; so does the first steps of the
// README under `make run`):
//
//   cd frontend && node ../benchmarks/web/bench_web.mjs --base http://127.0.3.10:18000 \
//       --password <admin password> [--runs 5] [--update-docs]
//
// `--update-docs` rewrites the "Web UI" section of docs/benchmarks.md.
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createRequire } from "node:module";

const REPO = resolve(dirname(new URL(import.meta.url).pathname), "..", "..");
const require = createRequire(join(REPO, "frontend", "package.json"));
const { chromium } = require("playwright-core");

const { values: args } = parseArgs({
  options: {
    base: { type: "string", default: "http://127.0.3.10:18000" },
    username: { type: "string", default: "admin" },
    password: { type: "string" },
    runs: { type: "string", default: "5" },
    chromium: { type: "string", default: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
    "update-docs": { type: "boolean", default: false },
  },
});
if (!args.password) throw new Error("--password: the administrator's password is needed");
const RUNS = Number(args.runs);
const BASE = args.base;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value) => `${Math.round(value)} ms`;

async function api(context, method, path, data) {
  const csrf = (await context.cookies()).find((c) => c.name === "csrftoken")?.value ?? "";
  for (;;) {
    const response = await context.request.fetch(`${BASE}${path}`, { method, data, headers: { "X-CSRFToken": csrf } });
    // Setting up writes faster than the API allows: wait as it says.
    if (response.status() === 429) {
      await new Promise((done) => setTimeout(done, 1000 * Number(response.headers()["retry-after"] ?? 5)));
      continue;
    }
    if (!response.ok()) throw new Error(`${method} ${path}: ${response.status()} ${await response.text()}`);
    return response.json();
  }
}

/** JS and CSS bytes on the wire, and DOMContentLoaded, for one cold load of `path`. */
async function load(browser, state, path, { javaScript = true, ready } = {}) {
  const context = await browser.newContext({ storageState: state, javaScriptEnabled: javaScript });
  const page = await context.newPage();
  const started = Date.now();
  await page.goto(`${BASE}${path}`, { waitUntil: "load" });
  const readyAt = ready ? await ready(page) : null;
  await page.waitForLoadState("networkidle");
  const timing = await page.evaluate(() => {
    const [navigation] = performance.getEntriesByType("navigation");
    const assets = performance
      .getEntriesByType("resource")
      .filter((entry) => /\.(js|css)(\?|$)/.test(entry.name))
      .reduce((sum, entry) => sum + entry.transferSize, 0);
    return { domContentLoaded: navigation.domContentLoadedEventEnd, assets };
  });
  await context.close();
  return { ...timing, readyAt, wall: Date.now() - started };
}

async function measure(browser, state, path, options) {
  const runs = [];
  for (let i = 0; i < RUNS; i += 1) runs.push(await load(browser, state, path, options));
  return {
    assets: median(runs.map((r) => r.assets)),
    domContentLoaded: median(runs.map((r) => r.domContentLoaded)),
    readyAt: runs[0].readyAt === null ? null : median(runs.map((r) => r.readyAt)),
  };
}

/** Milliseconds from the router being asked for `path`, inside the app already showing
 * `from` (its code cached, as after any earlier page), until `test` holds. */
async function navigate(browser, state, from, path, test) {
  const times = [];
  for (let i = 0; i < RUNS; i += 1) {
    const context = await browser.newContext({ storageState: state });
    const page = await context.newPage();
    // Once, so the target page's code is in the cache as it is for anyone who used the app.
    await page.goto(`${BASE}${path}`);
    await page.waitForFunction(test, undefined, { polling: "raf", timeout: 120_000 });
    await page.goto(`${BASE}${from}`);
    await page.waitForLoadState("networkidle");
    times.push(
      await page.evaluate(
        async ([target, source]) => {
          const ready = new Function(`return (${source})()`);
          const started = performance.now();
          // The app's own router, as a RouterLink would call it.
          void document.querySelector("#app").__vue_app__.config.globalProperties.$router.push(target);
          while (!ready()) await new Promise((next) => requestAnimationFrame(next));
          return performance.now() - started;
        },
        [path, test.toString()],
      ),
    );
    await context.close();
  }
  return median(times);
}

/** Milliseconds since navigation start when `test` first holds, polled each animation frame. */
function readyWhen(test) {
  return (page) => page.waitForFunction(test, undefined, { polling: "raf", timeout: 120_000 }).then(() => page.evaluate(() => performance.now()));
}

async function setUp(browser) {
  const context = await browser.newContext();
  await context.request.get(`${BASE}/api/v1/auth/csrf/`);
  await api(context, "POST", "/api/v1/auth/login/", { username: args.username, password: args.password });
  const data = await api(context, "GET", "/api/v1/training_data/?validation_status=VALID&ordering=-n_rows&page_size=1");
  const upload = data.results[0];
  if (!upload) throw new Error("no valid training data: upload MovieLens 100K first");
  // A project of 100 others to list (made once, kept for later runs).
  const listed = await api(context, "GET", "/api/v1/project/?name__icontains=bench-list&page_size=1");
  for (let i = listed.count; i < 100; i += 1) {
    await api(context, "POST", "/api/v1/project/", { name: `bench-list ${String(i).padStart(3, "0")}`, user_column: "u", item_column: "i" });
  }
  // A finished tuning job of 200 trials (TopPop alone, so it takes a minute, not an hour).
  const jobs = await api(context, "GET", `/api/v1/parameter_tuning_job/?data__project=${upload.project}&status=COMPLETED&page_size=100`);
  let job = jobs.results.find((j) => j.n_trials === 200);
  if (!job) {
    const split = await api(context, "POST", "/api/v1/split_config/", { scheme: "RG", heldout_ratio: 0.1, test_user_ratio: 1 });
    const evaluation = await api(context, "POST", "/api/v1/evaluation_config/", { target_metric: "ndcg", cutoff: 10 });
    job = await api(context, "POST", "/api/v1/parameter_tuning_job/", {
      data: upload.id, split: split.id, evaluation: evaluation.id, n_trials: 200, n_tasks_parallel: 2,
      tried_algorithms_json: ["TopPop"], train_after_tuning: false,
    });
    while (!["COMPLETED", "FAILED", "CANCELLED"].includes(job.status)) {
      await new Promise((done) => setTimeout(done, 3000));
      job = await api(context, "GET", `/api/v1/parameter_tuning_job/${job.id}/`);
    }
  }
  const state = await context.storageState();
  await context.close();
  return { state, projectId: upload.project, jobId: job.id, trials: job.n_trials_finished };
}

const browser = await chromium.launch({ executablePath: args.chromium });
const started = Date.now();
const { state, projectId, jobId, trials } = await setUp(browser);
const signedOut = { cookies: [], origins: [] };

const listPath = "/projects?page_size=100&search=bench-list";
const listDrawn = () => document.querySelectorAll('[data-testid="projects-table"] tbody tr').length >= 100;
const tuningPath = `/projects/${projectId}/tuning/${jobId}`;
const chartDrawn = () =>
  document.querySelector('[data-testid="tuning-history-chart"]')?.getAttribute("data-points") !== "0" &&
  document.querySelectorAll('[data-testid="tuning-history-chart"] svg path').length > 10;
const rows = {
  baseline: await measure(browser, signedOut, "/login", { javaScript: false }),
  login: await measure(browser, signedOut, "/login", {
    ready: readyWhen(() => document.querySelector("h1") !== null),
  }),
  projects: await measure(browser, state, listPath, { ready: readyWhen(listDrawn) }),
  tuning: await measure(browser, state, tuningPath, { ready: readyWhen(chartDrawn) }),
};
const navigation = {
  projects: await navigate(browser, state, "/users", listPath, listDrawn),
  tuning: await navigate(browser, state, `/projects/${projectId}/tuning`, tuningPath, chartDrawn),
};
await browser.close();
const seconds = Math.round((Date.now() - started) / 1000);
const version = (await import("node:child_process")).execFileSync(args.chromium, ["--version"]).toString().trim();

const table = [
  "| page | JS + CSS transferred | DOMContentLoaded | ready, cold load | ready, in-app navigation | budget |",
  "| --- | ---: | ---: | ---: | ---: | --- |",
  `| baseline: index.html, JavaScript off | ${kb(rows.baseline.assets)} | ${ms(rows.baseline.domContentLoaded)} | — | — | — |`,
  `| sign-in page | ${kb(rows.login.assets)} | ${ms(rows.login.domContentLoaded)} | ${ms(rows.login.readyAt)} (heading drawn) | — | ≤ 200 KB, DOMContentLoaded ≤ 300 ms |`,
  `| projects list, 100 rows | ${kb(rows.projects.assets)} | ${ms(rows.projects.domContentLoaded)} | ${ms(rows.projects.readyAt)} (100 rows drawn) | ${ms(navigation.projects)} (from Users) | rows ≤ 500 ms |`,
  `| tuning job, ${trials} trials (heaviest: ECharts) | ${kb(rows.tuning.assets)} | ${ms(rows.tuning.domContentLoaded)} | ${ms(rows.tuning.readyAt)} (chart drawn) | ${ms(navigation.tuning)} (from the tuning list) | ≤ 500 KB, chart ≤ 1 s |`,
].join("\n");

const section = `## Web UI

Reproduce with \`cd frontend && node ../benchmarks/web/bench_web.mjs --base <url> --password <admin password>\`
(\`--update-docs\` rewrites this section) against the production build behind nginx with gzip, as
\`make run\` and \`make test-e2e\` serve it. Produced on ${new Date().toISOString().slice(0, 10)} with ${version},
${cpus().length} cores shared with other work; the whole run took ${seconds} s.

Each figure is the median of ${RUNS} runs, each in a new browser context (an empty cache).
*JS + CSS transferred* sums the compressed bytes of every script and style sheet the page
fetched until the network was idle (lazy chunks included; fonts and API answers not).
*Ready, cold load* runs from navigation start until the page shows what it is for, in a new
browser context opening the address: the scripts, the session check and the page's API answers
all fall inside it. *Ready, in-app navigation* runs from the app's router being asked for the
page, from the page named beside it, to the same point: what a person moving around the app
waits for. The baseline is the same index.html with JavaScript off: the server's and the
browser's own share of each time.

${table}
`;
console.log(section);
if (args["update-docs"]) {
  const path = join(REPO, "docs", "benchmarks.md");
  const docs = readFileSync(path, "utf8");
  const start = docs.indexOf("## Web UI\n");
  const next = start === -1 ? -1 : docs.indexOf("\n## ", start + 1);
  const updated = start === -1 ? `${docs.trimEnd()}\n\n${section}` : `${docs.slice(0, start)}${section}${next === -1 ? "" : docs.slice(next)}`;
  writeFileSync(path, updated);
}
