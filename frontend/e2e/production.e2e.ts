// Deploying, testing and watching a trained model, in a real browser against the real
// platform: keys, slots, the inference service through the proxy, and an A/B test.
import { readFileSync } from "node:fs";

import { type APIRequestContext, type BrowserContext, expect, type Page, test } from "@playwright/test";

import { ADMIN, choosePreferences, csrfHeaders, expectAccessible, movielensRatingsCsv, signIn } from "./support";

test.describe.configure({ mode: "serial" });

const PROJECT = `Production ${Date.now()}`;
const made = { projectId: 0, projectPath: "", key: "", testPath: "", slots: ["main", "challenger"] };
let adminState: Awaited<ReturnType<BrowserContext["storageState"]>>;

async function api<T>(page: Page, method: "GET" | "POST", path: string, data?: unknown): Promise<T> {
  const headers = method === "GET" ? {} : await csrfHeaders(page.context(), page.request);
  const response = await page.request.fetch(path, { method, headers, data });
  expect(response.ok(), `${method} ${path}: ${await response.text()}`).toBe(true);
  return (await response.json()) as T;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeout = 240_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Picks an option of a PrimeVue Select, waiting for its overlay to close again. */
async function choose(page: Page, field: ReturnType<Page["getByLabel"]>, option: string | RegExp | number): Promise<void> {
  await field.click();
  const options = page.getByRole("listbox").getByRole("option");
  await (typeof option === "number" ? options.nth(option) : options.filter({ hasText: option })).click();
  await expect(page.getByRole("listbox")).toHaveCount(0);
}

interface Recommendation {
  slot_name: string;
  request_id: string;
  items: { item_id: string }[];
}

async function predict(request: APIRequestContext, key: string, userId: string): Promise<Recommendation> {
  const response = await request.post(`/inference/predict/project/${made.projectId}`, {
    headers: { "X-API-Key": key },
    data: { user_id: userId, cutoff: 5 },
  });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as Recommendation;
}

test("two models train on MovieLens 100K", async ({ page }) => {
  await signIn(page, ADMIN);
  adminState = await page.context().storageState();
  const project = await api<{ id: number }>(page, "POST", "/api/v1/project/", {
    name: PROJECT,
    user_column: "user_id",
    item_column: "item_id",
    time_column: "timestamp",
  });
  made.projectId = project.id;
  made.projectPath = `/projects/${project.id}`;
  const upload = await page.request.post("/api/v1/training_data/", {
    headers: await csrfHeaders(page.context(), page.request),
    multipart: { project: String(project.id), file: { name: "ratings.csv", mimeType: "text/csv", buffer: readFileSync(movielensRatingsCsv()) } },
  });
  expect(upload.status(), await upload.text()).toBe(201);
  const data = (await upload.json()) as { id: number };
  await until(
    () => api<{ validation_status: string }>(page, "GET", `/api/v1/training_data/${data.id}/`),
    (d) => d.validation_status === "VALID",
  );
  for (const recommender of ["TopPopRecommender", "CosineKNNRecommender"]) {
    const configuration = await api<{ id: number }>(page, "POST", "/api/v1/model_configuration/", {
      project: project.id,
      name: recommender,
      recommender_class_name: recommender,
      parameters_json: {},
    });
    const model = await api<{ id: number }>(page, "POST", "/api/v1/trained_model/", { configuration: configuration.id, data_loc: data.id });
    await until(
      () => api<{ status: string }>(page, "GET", `/api/v1/trained_model/${model.id}/`),
      (m) => m.status === "COMPLETED",
    );
  }
});

test("a predict key is created and its secret read once", async ({ browser }) => {
  const page = await (await browser.newContext({ storageState: adminState, permissions: ["clipboard-read", "clipboard-write"] })).newPage();
  await page.goto(`${made.projectPath}/api-keys`);
  await page.getByRole("button", { name: "New API key" }).first().click();
  const dialog = page.getByRole("dialog", { name: "New API key" });
  await dialog.getByLabel("Name").fill("storefront");
  await expect(dialog.getByLabel("Predict")).toBeChecked();
  await dialog.getByRole("button", { name: "Create key" }).click();

  const created = page.getByTestId("apikey-created");
  made.key = (await page.getByTestId("apikey-secret").textContent())?.trim() ?? "";
  expect(made.key.length).toBeGreaterThan(20);
  await expect(page.getByTestId("apikey-curl")).toContainText(`/inference/predict/project/${made.projectId}`);
  await created.getByRole("button", { name: "Copy API key" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(made.key);
  await page.getByRole("button", { name: "I have copied the key" }).click();

  const row = page.getByTestId("apikeys-table").getByRole("row", { name: /storefront/ });
  await expect(row).toContainText("Predict");
  await expect(row).toContainText("Active");
  await expect(page.getByTestId("apikeys-table")).not.toContainText(made.key);
});

test("two slots at 70/30 split the traffic, and the inference answers name them", async ({ browser }) => {
  const page = await (await browser.newContext({ storageState: adminState })).newPage();
  await page.goto(`${made.projectPath}/deployment`);
  for (const [index, name] of made.slots.entries()) {
    await page.getByRole("button", { name: "New slot" }).first().click();
    const dialog = page.getByRole("dialog", { name: "New deployment slot" });
    await dialog.getByLabel("Name").fill(name);
    await choose(page, dialog.getByLabel("Model"), index);
    await dialog.getByRole("button", { name: "Create slot" }).click();
    await expect(dialog).toBeHidden();
  }
  await expect(page.getByTestId("traffic-arm")).toHaveCount(2);
  await expect(page.getByTestId("traffic-arm")).toContainText(["50%", "50%"]);

  // Typing 7 then 70 sends one PATCH, after the typing stopped.
  let patches = 0;
  page.on("request", (request) => {
    if (request.method() === "PATCH") patches += 1;
  });
  const weight = page.getByLabel("Weight of main");
  await weight.fill("");
  await weight.pressSequentially("70");
  await page.getByLabel("Weight of challenger").fill("");
  await page.getByLabel("Weight of challenger").pressSequentially("30");
  await page.getByLabel("Weight of challenger").press("Enter");
  await expect(page.getByTestId("traffic-arm")).toContainText([/main\s*70%/, /challenger\s*30%/]);
  expect(patches).toBe(2);
  const saved = await api<{ results: { name: string; weight: number }[] }>(page, "GET", `/api/v1/deployment_slot/?project=${made.projectId}&ordering=name`);
  expect(saved.results.map((slot) => [slot.name, slot.weight])).toEqual([
    ["challenger", 30],
    ["main", 70],
  ]);

  // The try-it panel calls the inference service through the proxy with the pasted key.
  await page.getByLabel("Predict key").fill(made.key);
  await page.getByLabel("User ID").fill("1");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("try-slot")).toHaveText(/^(main|challenger)$/);

  const served = new Set<string>();
  for (let user = 1; user <= 30; user += 1) served.add((await predict(page.request, made.key, String(user))).slot_name);
  expect([...served].sort()).toEqual(["challenger", "main"]);
});

test("the Serving page counts the predictions made through the proxy, per slot", async ({ browser }) => {
  const page = await (await browser.newContext({ storageState: adminState })).newPage();
  await page.goto(`${made.projectPath}/serving`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Serving");
  // The previous test asked for 30 users' recommendations (and one from the try-it panel);
  // each inference worker adds its counts to Redis once a second.
  const requests = page.getByTestId("serving-requests");
  await expect(async () => {
    await page.reload();
    expect(Number((await requests.textContent())?.replace(/\D/g, ""))).toBeGreaterThanOrEqual(30);
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId("serving-error-rate")).toHaveText("0.00%");
  const slots = page.getByTestId("serving-slot");
  await expect(slots).toHaveCount(2);
  await expect(slots).toContainText([/main|challenger/, /main|challenger/]);
  await expect(page.getByRole("img", { name: /requests per minute/i })).toBeVisible();
});

test("an A/B test runs, counts conversions reported with the request ids, and promotes its winner", async ({ browser }) => {
  const page = await (await browser.newContext({ storageState: adminState })).newPage();
  await page.goto(`${made.projectPath}/ab-tests`);
  await page.getByRole("button", { name: "New A/B test" }).first().click();
  const dialog = page.getByRole("dialog", { name: "New A/B test" });
  await dialog.getByLabel("Name").fill("Popularity vs neighbours");
  await choose(page, dialog.getByLabel("Control slot"), /^main$/);
  await choose(page, dialog.getByLabel("Variant slot"), /^main$/);
  await expect(dialog).toContainText("Choose a slot other than the control.");
  await choose(page, dialog.getByLabel("Variant slot"), /^challenger$/);
  await dialog.getByLabel("Minimum impressions per arm").fill("");
  await dialog.getByLabel("Minimum impressions per arm").pressSequentially("5");
  await dialog.getByRole("button", { name: "Create test" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Popularity vs neighbours");
  made.testPath = new URL(page.url()).pathname;
  await expect(page.getByTestId("abtest-status")).toHaveAttribute("data-status", "DRAFT");

  await page.getByTestId("abtest-start").click();
  await page.getByTestId("confirm-action").click();
  await expect(page.getByTestId("abtest-status")).toHaveAttribute("data-status", "RUNNING");

  // A key may make 100 requests a minute: this test and the one before stay under that.
  // Every user of the variant converts, none of the control's: a clear winner.
  const events: { recommendation_request_id: string; user_id: string; item_id: string; event_type: string }[] = [];
  for (let user = 1; user <= 60; user += 1) {
    const answer = await predict(page.request, made.key, String(user));
    if (answer.slot_name === "challenger") {
      events.push({ recommendation_request_id: answer.request_id, user_id: String(user), item_id: answer.items[0]?.item_id ?? "1", event_type: "click" });
    }
  }
  // The inference service writes its impressions in batches: until the last batch is in,
  // the server refuses the whole report as naming requests it has not seen.
  await expect(async () => {
    const reported = await page.request.post("/api/v1/conversion_event/", { headers: { "X-API-Key": made.key }, data: events });
    expect(reported.status(), await reported.text()).toBe(201);
  }).toPass({ timeout: 30_000, intervals: [1_000, 2_000, 5_000] });

  await expect(page.getByTestId("abtest-arm-variant").getByTestId("abtest-conversions")).toHaveText(String(events.length), { timeout: 30_000 });
  await expect(page.getByTestId("abtest-verdict")).toHaveText("challenger converts better");
  await expect(page.getByRole("img", { name: /Daily conversion rate per arm/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /Daily conversion rate per arm/ }).locator("svg")).toBeVisible();

  await page.getByTestId("abtest-stop").click();
  await page.getByTestId("confirm-action").click();
  await expect(page.getByTestId("abtest-status")).toHaveAttribute("data-status", "COMPLETED");
  await page.getByTestId("abtest-promote").click();
  await expect(page.getByLabel(/challenger/)).toBeChecked();
  await page.getByTestId("confirm-action").click();
  await expect(page.getByTestId("abtest-winner")).toHaveText("challenger");

  await page.goto(`${made.projectPath}/conversions`);
  await page.getByLabel("Request ID").fill(events[0]?.recommendation_request_id ?? "");
  await expect(page.getByTestId("conversions-table").locator("tbody tr")).toHaveCount(1);
  await expect(page.getByTestId("conversions-table")).toContainText("challenger");

  await page.goto(`${made.projectPath}/deployment`);
  await expect(page.getByLabel("Weight of challenger")).toHaveValue("100");
  await expect(page.getByLabel("main receives traffic")).not.toBeChecked();
  await expect(page.getByTestId("traffic-arm")).toHaveText([/challenger\s*100%/]);
});

test("a slot in a running test cannot be deleted, and says why until the test ends", async ({ browser }) => {
  const page = await (await browser.newContext({ storageState: adminState })).newPage();
  await page.goto(`${made.projectPath}/deployment`);
  await page.getByLabel("main receives traffic").click();
  await expect(page.getByTestId("traffic-arm")).toHaveCount(2);

  const slots = await api<{ results: { id: number; name: string; trained_model: number }[] }>(
    page,
    "GET",
    `/api/v1/deployment_slot/?project=${made.projectId}&ordering=name`,
  );
  const challenger = slots.results.find((slot) => slot.name === "challenger");
  if (!challenger) throw new Error("the challenger slot is missing");
  // A slot of its own: deleting a slot deletes the tests it took part in.
  const spare = await api<{ id: number }>(page, "POST", "/api/v1/deployment_slot/", {
    project: made.projectId,
    name: "spare",
    trained_model: challenger.trained_model,
    weight: 10,
  });
  const guarded = await api<{ id: number }>(page, "POST", "/api/v1/ab_test/", {
    project: made.projectId,
    name: "Guarded",
    control_slot: challenger.id,
    variant_slot: spare.id,
  });
  await api(page, "POST", `/api/v1/ab_test/${guarded.id}/start/`);

  await page.reload();
  await expect(page.getByRole("button", { name: "Delete spare" })).toBeDisabled();
  await expect(page.getByRole("button", { name: "Delete spare" })).toHaveAccessibleDescription(/running A\/B test Guarded; stop the test first/);
  await expect(page.getByTestId("traffic-chart")).toContainText("The A/B test Guarded is running");

  await page.goto(`${made.projectPath}/ab-tests/${guarded.id}`);
  await page.getByTestId("abtest-cancel").click();
  await page.getByTestId("confirm-action").click();
  await expect(page.getByTestId("abtest-status")).toHaveAttribute("data-status", "CANCELLED");

  await page.goto(`${made.projectPath}/deployment`);
  await page.getByRole("button", { name: "Delete spare" }).click();
  await page.getByTestId("confirm-action").click();
  await expect(page.getByTestId("slots-table")).not.toContainText("spare");
  await expect(page.getByTestId("traffic-arm")).toHaveCount(2);
});

test("a retraining schedule explains its cron expression as it is typed, and a triggered run appears and finishes", async ({ browser }) => {
  const page = await (await browser.newContext({ storageState: adminState })).newPage();
  const previews: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("/cron_preview/")) previews.push(request.url());
  });
  await page.goto(`${made.projectPath}/retraining`);
  await expect(page.getByText("This project has no retraining schedule yet.")).toBeVisible();
  await expect(page.getByTestId("schedule-cron-description")).toHaveText("At 02:00, only on Sunday (UTC)");
  const cron = page.getByTestId("schedule-cron");

  // Typed key by key, the expression is explained once, after the typing stopped.
  previews.length = 0;
  await cron.fill("");
  await cron.pressSequentially("61 * * * *", { delay: 40 });
  await expect(page.getByText("Check each field's range, e.g. minute 0-59.")).toBeVisible();
  await cron.fill("");
  await cron.pressSequentially("30 3 * * *", { delay: 40 });
  await expect(page.getByTestId("schedule-cron-description")).toHaveText("At 03:30 (UTC)");
  expect(previews).toHaveLength(2);

  await choose(page, page.getByLabel("Time zone"), /^Asia\/Tokyo$/);
  await expect(page.getByTestId("schedule-cron-description")).toHaveText("At 03:30 (Asia/Tokyo)");
  await expect(page.getByTestId("schedule-cron-next").getByRole("listitem")).toHaveCount(5);
  await choose(page, page.getByLabel("Model configuration"), /^TopPopRecommender$/);
  await page.getByTestId("schedule-save").click();
  await expect(page.getByText("Schedule saved.")).toBeVisible();
  await expect(page.getByTestId("retraining-next-run")).not.toHaveText("—");
  const schedule = await api<{ results: { cron_expression: string; timezone: string; is_enabled: boolean }[] }>(
    page,
    "GET",
    `/api/v1/retraining_schedule/?project=${made.projectId}`,
  );
  expect(schedule.results).toMatchObject([{ cron_expression: "30 3 * * *", timezone: "Asia/Tokyo", is_enabled: true }]);

  await page.getByTestId("retraining-trigger").click();
  await page.getByTestId("confirm-action").click();
  const run = page.getByTestId("runs-table").locator("tbody tr").first();
  await expect(run).toContainText("Manual");
  await expect(run.getByTestId("run-status")).toHaveAttribute("data-status", "COMPLETED", { timeout: 240_000 });
  await expect(run.getByRole("link", { name: /^Model #\d+$/ })).toBeVisible();
  await expect(run).toContainText("100,000");
});

test("the dashboard shows each slot's traffic of the last 30 days, the schedule and the tests, with links to their pages", async ({ browser }) => {
  const page = await (await browser.newContext({ storageState: adminState })).newPage();
  await page.goto(made.projectPath);
  const production = page.getByTestId("production");
  await expect(production.getByTestId("production-schedule")).toContainText("At 03:30 (Asia/Tokyo)");
  await expect(production.getByTestId("production-schedule")).toContainText("Succeeded");
  await expect(production.getByTestId("production-tests")).toContainText("No A/B test is running.");
  // Every recommendation of this file went to main or challenger, and the test's clicks to challenger.
  const totals = production.getByTestId("production-totals").getByRole("listitem");
  await expect(totals).toHaveCount(2);
  await expect(totals.filter({ hasText: /^challenger: [\d,]+ impressions, [1-9]\d* conversions$/ })).toHaveCount(1);
  await expect(totals.filter({ hasText: /^main: [1-9][\d,]* impressions, 0 conversions$/ })).toHaveCount(1);
  await expect(production.getByRole("img", { name: /per day and slot over the last 30 days/ }).locator("svg")).toBeVisible();

  await production.getByRole("link", { name: "Retraining settings and runs" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Retraining");
  await page.goBack();
  await production.getByRole("link", { name: "All A/B tests" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("A/B tests");
});

const PAGES = () => [
  { path: `${made.projectPath}/api-keys`, en: "API keys", ja: "API キー" },
  { path: `${made.projectPath}/deployment`, en: "Deployment", ja: "デプロイ" },
  { path: `${made.projectPath}/ab-tests`, en: "A/B tests", ja: "A/B テスト" },
  { path: made.testPath, en: "Popularity vs neighbours", ja: "Popularity vs neighbours" },
  { path: `${made.projectPath}/conversions`, en: "Conversions", ja: "コンバージョン" },
  { path: `${made.projectPath}/retraining`, en: "Retraining", ja: "再学習" },
  { path: made.projectPath, en: PROJECT, ja: PROJECT },
  { path: `${made.projectPath}/serving`, en: "Serving", ja: "配信状況" },
];

for (const [locale, theme] of [
  ["en", "light"],
  ["ja", "dark"],
  ["en", "dark"],
  ["ja", "light"],
] as const) {
  test(`the production pages read in ${locale}, in the ${theme} theme, with no accessibility violation`, async ({ browser }) => {
    const context = await browser.newContext({ storageState: adminState });
    await choosePreferences(context, locale, theme);
    const page = await context.newPage();
    for (const { path, ...titles } of PAGES()) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(titles[locale]);
      await expect(page.locator("html")).toHaveAttribute("lang", locale);
      await expectAccessible(page);
    }
  });
}
