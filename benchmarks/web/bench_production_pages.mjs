// Web UI figures for docs/benchmarks.md "Web UI", against a running stack (make run, or
// the end-to-end stack) that has the A/B test seed_ab_test.py made:
//   BASE_URL=http://127.0.0.1:8000 ADMIN_PASSWORD=... PROJECT=<id> TEST=<id> node benchmarks/web/bench_production_pages.mjs
// Each page's figure stands beside the projects list's, the simplest page, measured in
// the same run with the same browser.
import { createRequire } from "node:module";
import { resolve } from "node:path";

const require = createRequire(resolve(import.meta.dirname, "..", "..", "frontend", "package.json"));
const { chromium } = require("@playwright/test");

const BASE_URL = process.env.BASE_URL ?? "http://127.0.0.1:8000";
const PROJECT = Number(process.env.PROJECT);
const TEST = Number(process.env.TEST);
const RUNS = Number(process.env.RUNS ?? 5);
if (!PROJECT || !TEST) throw new Error("Set PROJECT and TEST to the ids seed_ab_test.py printed.");

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" });

const options = { baseURL: BASE_URL, viewport: { width: 1280, height: 800 } };
// One sign-in for the run: the sign-in endpoint limits attempts, a session does not.
const session = await (async () => {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(process.env.ADMIN_PASSWORD ?? "");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/projects$/);
  const state = await context.storageState();
  await context.close();
  return state;
})();

const signedInContext = () => browser.newContext({ ...options, storageState: session });

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** JS and CSS bytes a first visit to `path` transfers (compressed, as sent), with an empty cache. */
async function transferred(path, ready) {
  const context = await signedInContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const types = new Map();
  let bytes = 0;
  cdp.on("Network.responseReceived", (event) => types.set(event.requestId, event.type));
  cdp.on("Network.loadingFinished", (event) => {
    if (["Script", "Stylesheet"].includes(types.get(event.requestId))) bytes += event.encodedDataLength;
  });
  await page.goto(path);
  await ready(page);
  await page.waitForLoadState("networkidle");
  await context.close();
  return bytes;
}

/** Milliseconds from clicking a sidebar link to `ready`, the SPA already loaded. */
async function navigation(link, ready) {
  const times = [];
  for (let run = 0; run < RUNS; run += 1) {
    const context = await signedInContext();
    const page = await context.newPage();
    await page.goto(`/projects/${PROJECT}/api-keys`);
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    await page.waitForLoadState("networkidle");
    const start = Date.now();
    await link(page);
    await ready(page);
    times.push(Date.now() - start);
    await context.close();
  }
  return median(times);
}

/** API requests while typing into `field`, and in the two seconds after (the save and the reads it refreshes). */
async function requestsWhileTyping(path, field, choose) {
  const context = await signedInContext();
  const page = await context.newPage();
  await page.goto(path);
  const input = await field(page);
  await page.waitForLoadState("networkidle");
  // A value other than the saved one, or nothing would need saving.
  const text = choose(await input.inputValue());
  let during = 0;
  let typing = true;
  let after = 0;
  page.on("request", (request) => {
    if (!new URL(request.url()).pathname.startsWith("/api/")) return;
    if (typing) during += 1;
    else after += 1;
  });
  await input.fill("");
  await input.pressSequentially(text, { delay: 120 });
  typing = false;
  await page.waitForTimeout(2000);
  await context.close();
  return { keystrokes: text.length, during, after };
}

const heading = (name) => (page) => page.getByRole("heading", { level: 1, name }).waitFor();
const detailReady = async (page) => {
  await page.getByTestId("abtest-results").waitFor();
  // Both charts have drawn both arms' lines (ARM_COLORS in features/abtests/results.ts).
  await page.waitForFunction(() =>
    [...document.querySelectorAll("[role=img] svg")].filter(
      (svg) => svg.querySelector('path[stroke="#2563eb"]') && svg.querySelector('path[stroke="#c2410c"]'),
    ).length === 2,
  );
};

// The production section has its traffic: the first slot's line drawn (ARM_COLORS in
// features/slots/traffic.ts), or the words saying there was none.
const dashboardReady = (page) =>
  page.waitForFunction(() => {
    const section = document.querySelector("[data-testid=production]");
    return section?.querySelector('[role=img] svg path[stroke="#2563eb"], [data-testid=production-no-traffic]') != null;
  });

const pages = [
  ["Projects list (baseline)", "/projects", heading("Projects")],
  ["API keys", `/projects/${PROJECT}/api-keys`, heading("API keys")],
  ["Deployment", `/projects/${PROJECT}/deployment`, heading("Deployment")],
  ["A/B tests", `/projects/${PROJECT}/ab-tests`, heading("A/B tests")],
  ["A/B test detail (90 days)", `/projects/${PROJECT}/ab-tests/${TEST}`, detailReady],
  ["Retraining", `/projects/${PROJECT}/retraining`, heading("Retraining")],
  ["Users", "/users", heading("Users")],
  ["Dashboard with the 30-day traffic chart", `/projects/${PROJECT}`, dashboardReady],
];

console.log("| page | JS + CSS transferred, first visit |");
console.log("| --- | ---: |");
for (const [name, path, ready] of pages) {
  console.log(`| ${name} | ${((await transferred(path, ready)) / 1024).toFixed(0)} KB |`);
}

const toProjects = (page) => page.getByRole("link", { name: "Projects", exact: true }).first().click();
const toTest = (page) => page.goto(`/projects/${PROJECT}/ab-tests/${TEST}`);
console.log("\n| navigation | median of " + RUNS + " |");
console.log("| --- | ---: |");
console.log(`| projects list, sidebar link (baseline) | ${await navigation(toProjects, heading("Projects"))} ms |`);
console.log(`| A/B test detail, 90 days, full page load until both charts are drawn | ${await navigation(toTest, detailReady)} ms |`);
console.log(
  `| A/B test detail, 90 days, sidebar then list link until both charts are drawn | ${await navigation(
    async (page) => {
      await page.getByRole("link", { name: "A/B tests" }).click();
      await page.getByRole("link", { name: "Ninety days" }).click();
    },
    detailReady,
  )} ms |`,
);

console.log("\n| typing | keystrokes | API requests while typing | in the 2 s after |");
console.log("| --- | ---: | ---: | ---: |");
const weight = await requestsWhileTyping(`/projects/${PROJECT}/deployment`, async (page) => {
  const input = page.getByLabel("Weight of control");
  await input.waitFor();
  return input;
}, (saved) => (saved === "45.25" ? "54.75" : "45.25"));
console.log(`| slot weight | ${weight.keystrokes} | ${weight.during} | ${weight.after} |`);
const name = await requestsWhileTyping(`/projects/${PROJECT}/ab-tests`, async (page) => {
  await page.getByRole("button", { name: "New A/B test" }).first().click();
  return page.getByRole("dialog").getByLabel("Name");
}, () => "Homepage carousel");
console.log(`| A/B test name | ${name.keystrokes} | ${name.during} | ${name.after} |`);
const cron = await requestsWhileTyping(`/projects/${PROJECT}/retraining`, async (page) => {
  const input = page.getByTestId("schedule-cron");
  await input.waitFor();
  return input;
}, (saved) => (saved === "15 4 * * 1" ? "45 5 * * 2" : "15 4 * * 1"));
console.log(`| retraining cron expression (explained by the server) | ${cron.keystrokes} | ${cron.during} | ${cron.after} |`);

await browser.close();
