// A person's first hour with Recotem, in a real browser against the real platform.
import { expect, test } from "@playwright/test";

import { SIGN_IN_ALLOWANCE } from "../playwright.config";
import {
  ADMIN,
  choosePreferences,
  createProject,
  createUser,
  csrfHeaders,
  expectAccessible,
  movielensItemsCsv,
  movielensRatingsCsv,
  signedInContext,
  signIn,
  uploadValid,
} from "./support";

test.describe.configure({ mode: "serial" });

const PROJECT = `MovieLens 100K ${Date.now()}`;
const OTHER = { username: `second-user-${Date.now()}`, password: "second-user-password-4e7a" };
// Filled in as the story goes on; the later tests visit what the earlier ones made.
const made = { projectPath: "", dataPath: "", itemPath: "", tuningPath: "", modelPath: "", configurationPath: "" };

test("a person signs in and creates a project", async ({ page }) => {
  await page.goto("/projects");
  await expect(page).toHaveURL(/\/login\?redirect=\/projects$/);
  await signIn(page, ADMIN);

  made.projectPath = await createProject(page, PROJECT);

  await expect(page.getByTestId("next-action")).toContainText("Upload an interaction log");
});

test("MovieLens 100K uploads as CSV and validates with its exact counts", async ({ browser }) => {
  const page = await (await signedInContext(browser, ADMIN)).newPage();
  await page.goto(made.projectPath);
  await page.getByRole("link", { name: "Upload data" }).click();
  await expect(page.getByTestId("upload-limits")).toContainText("Up to 8 MB");

  await page.locator("#upload-file").setInputFiles(movielensRatingsCsv());
  await page.getByTestId("upload-send").click();

  await expect(page.getByTestId("validation-status")).toHaveAttribute("data-status", "VALID", { timeout: 120_000 });
  await expect(page.getByTestId("fact-n_rows")).toHaveText("100,000");
  await expect(page.getByTestId("fact-n_users")).toHaveText("943");
  await expect(page.getByTestId("fact-n_items")).toHaveText("1,682");
  await expect(page.getByTestId("preview-table")).toContainText("user_id");
  made.dataPath = new URL(page.url()).pathname;

  await page.goto(made.projectPath);
  await expect(page.getByTestId("next-action")).toContainText("Start a tuning job");
});

test("MovieLens item titles upload as item metadata", async ({ browser }) => {
  const page = await (await signedInContext(browser, ADMIN)).newPage();
  made.itemPath = await uploadValid(page, `${made.projectPath}/item-metadata/upload`, movielensItemsCsv());

  await expect(page.getByTestId("fact-n_items")).toHaveText("1,682");
  await expect(page.getByTestId("preview-table")).toContainText("Toy Story (1995)");
});

test("a 10-trial tuning job advances live, then its model previews with titles", async ({ browser }) => {
  test.setTimeout(900_000);
  const context = await signedInContext(browser, ADMIN);
  const page = await context.newPage();
  await page.goto(`${made.projectPath}/tuning`);
  await page.getByRole("link", { name: "New tuning job" }).first().click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("New tuning job");
  await expect(page.getByTestId("tuning-data")).toContainText("ml-100k-ratings.csv");

  // A ratio outside (0, 1) comes back from the server and shows at its field.
  await page.getByLabel("Held-out ratio").fill("1.5");
  await page.getByRole("button", { name: "Start tuning" }).click();
  await expect(page.locator("#split-heldout_ratio-error")).toBeVisible();

  await page.getByLabel("Held-out ratio").fill("0.1");
  await page.getByLabel("Trials", { exact: true }).fill("10");
  await page.getByRole("button", { name: "Start tuning" }).click();
  await expect(page).toHaveURL(/\/tuning\/\d+$/);
  made.tuningPath = new URL(page.url()).pathname;

  // Everything below arrives over the WebSocket: a reload would lose this mark.
  await page.evaluate(() => ((window as unknown as { unreloaded: boolean }).unreloaded = true));
  const counter = page.getByTestId("tuning-trial-counter");
  const chart = page.getByTestId("tuning-history-chart");
  await expect(counter).toHaveText(/^\s*[1-9] of 10\s*$/, { timeout: 600_000 });
  const points = Number(await chart.getAttribute("data-points"));
  const drawn = await chart.locator("svg path").count();
  await expect(counter).toHaveText(/^\s*10 of 10\s*$/, { timeout: 600_000 });
  await expect.poll(async () => Number(await chart.getAttribute("data-points"))).toBeGreaterThan(points);
  await expect.poll(() => chart.locator("svg path").count()).toBeGreaterThan(drawn);
  await expect(page.getByTestId("tuning-status")).toHaveAttribute("data-status", "COMPLETED", { timeout: 600_000 });
  await expect(page.getByTestId("live-log")).toContainText("Trial 9");
  expect(await page.evaluate(() => (window as unknown as { unreloaded?: boolean }).unreloaded)).toBe(true);

  await page.getByTestId("tuning-model-link").click();
  await expect(page.getByTestId("model-status")).toHaveAttribute("data-status", "COMPLETED", { timeout: 600_000 });
  made.modelPath = new URL(page.url()).pathname;
  await expect(page.getByTestId("model-metrics")).toContainText("ndcg@");
  const recommended = page.getByTestId("preview-recommendations");
  await expect(recommended.locator('[data-column="title"]').first()).toHaveText(/\(\d{4}\)$/);
  await expect(page.getByTestId("preview-history").locator('[data-column="title"]').first()).toHaveText(/\S/);

  // Similar items to Toy Story (item 1), named by their titles too.
  await page.getByRole("button", { name: "Similar items" }).click();
  await page.getByLabel("Item id").fill("1");
  await page.getByRole("button", { name: "Show", exact: true }).click();
  await expect(page.getByTestId("preview-given")).toContainText("Toy Story (1995)");
  await expect(recommended.locator('[data-column="title"]').first()).toHaveText(/\(\d{4}\)$/);
  await context.close();
});

test("a second configuration trains a model that compares with the first", async ({ browser }) => {
  test.setTimeout(600_000);
  const context = await signedInContext(browser, ADMIN);
  const page = await context.newPage();
  await page.goto(`${made.projectPath}/configurations`);
  await page.getByRole("link", { name: "New configuration" }).first().click();
  await page.getByLabel("Name").fill("Popularity baseline");
  await page.getByTestId("config-algorithm").click();
  await page.getByRole("option", { name: "TopPop" }).click();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Popularity baseline");
  made.configurationPath = new URL(page.url()).pathname;

  await page.getByRole("link", { name: "Train a model" }).click();
  await expect(page.locator("#train-configuration").locator("..")).toContainText("Popularity baseline");
  await page.getByRole("button", { name: "Start training" }).click();
  await expect(page.getByTestId("model-status")).toHaveAttribute("data-status", "COMPLETED", { timeout: 300_000 });
  const second = Number(new URL(page.url()).pathname.split("/").pop());
  const first = Number(made.modelPath.split("/").pop());

  await page.goto(`${made.projectPath}/models/compare?models=${first},${second}`);
  const table = page.getByTestId("compare-table");
  await expect(table.locator("thead th")).toHaveCount(3);
  await expect(table).toContainText("ndcg@");
  await expect(table.locator("tbody td.font-bold").first()).toBeVisible();
  await expect(page.getByRole("img", { name: /scores of 2 models/ }).locator("svg")).toBeVisible();
  await context.close();
});

test("a second person sees none of the first one's projects", async ({ browser }) => {
  const admin = await (await signedInContext(browser, ADMIN)).newPage();
  await createUser(admin, OTHER.username, OTHER.password);

  const page = await (await browser.newContext()).newPage();
  await signIn(page, OTHER);
  await expect(page.getByText("No projects yet")).toBeVisible();
  await page.goto(made.projectPath);
  await expect(page.getByRole("alert")).toContainText("does not exist, or it belongs to someone else");
  await page.goto(made.dataPath);
  await expect(page.getByRole("alert").first()).toContainText("does not exist");
});

const PAGES = () => [
  { path: "/projects", en: "Projects", ja: "プロジェクト" },
  { path: made.projectPath, en: PROJECT, ja: PROJECT },
  { path: `${made.projectPath}/data`, en: "Training data", ja: "学習データ" },
  { path: `${made.projectPath}/data/upload`, en: "Upload training data", ja: "学習データのアップロード" },
  { path: made.dataPath, en: "ml-100k-ratings.csv", ja: "ml-100k-ratings.csv" },
  { path: `${made.projectPath}/item-metadata`, en: "Item metadata", ja: "アイテムメタデータ" },
  { path: made.itemPath, en: "ml-100k-items.csv", ja: "ml-100k-items.csv" },
  { path: `${made.projectPath}/tuning`, en: "Tuning", ja: "チューニング" },
  { path: `${made.projectPath}/tuning/new`, en: "New tuning job", ja: "新しいチューニングジョブ" },
  { path: made.tuningPath, en: /^Tuning job #\d+$/, ja: /^チューニングジョブ #\d+$/ },
  { path: `${made.projectPath}/configurations`, en: "Model configurations", ja: "モデル設定" },
  { path: `${made.projectPath}/configurations/new`, en: "New model configuration", ja: "新しいモデル設定" },
  { path: made.configurationPath, en: "Popularity baseline", ja: "Popularity baseline" },
  { path: `${made.configurationPath}/edit`, en: "Edit model configuration", ja: "モデル設定の編集" },
  { path: `${made.projectPath}/models`, en: "Models", ja: "モデル" },
  { path: `${made.projectPath}/models/train`, en: "Train a model", ja: "モデルを学習" },
  { path: made.modelPath, en: /^Model /, ja: /^モデル / },
  { path: `${made.projectPath}/models/compare?models=${made.modelPath.split("/").pop()}`, en: "Compare models", ja: "モデルの比較" },
  { path: "/account/password", en: "Change password", ja: "パスワードの変更" },
  { path: "/users", en: "Users", ja: "ユーザー" },
  { path: "/no-such-page", en: "This page does not exist", ja: "このページは存在しません" },
];

for (const [locale, theme] of [
  ["en", "light"],
  ["ja", "dark"],
] as const) {
  test(`every page reads in ${locale}, in the ${theme} theme, with no accessibility violation`, async ({ browser }) => {
    // Every page of the platform, each checked by axe: minutes on a busy machine.
    test.setTimeout(600_000);
    const context = await signedInContext(browser, ADMIN);
    await choosePreferences(context, locale, theme);
    const page = await context.newPage();
    for (const { path, ...titles } of PAGES()) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(titles[locale]);
      await expect(page.locator("html")).toHaveClass(theme === "dark" ? /app-dark/ : /^(?!.*app-dark)/);
      await expect(page.locator("html")).toHaveAttribute("lang", locale);
      await expectAccessible(page);
    }
  });
}

test("the sign-in page reads in both languages and themes with no accessibility violation", async ({ browser }) => {
  for (const [locale, theme, heading] of [
    ["en", "light", "Sign in to Recotem"],
    ["ja", "dark", "Recotem にサインイン"],
  ] as const) {
    const context = await browser.newContext();
    await choosePreferences(context, locale, theme);
    const page = await context.newPage();
    await page.goto("/login");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
    await expectAccessible(page);
  }
});

test("the language and theme menus switch the page at once", async ({ browser }) => {
  const page = await (await signedInContext(browser, ADMIN)).newPage();
  await page.goto("/projects");

  await page.getByTestId("language").click();
  await page.getByRole("option", { name: "日本語" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("プロジェクト");
  await page.getByTestId("theme").click();
  await page.getByRole("option", { name: "ダーク" }).click();
  await expect(page.locator("html")).toHaveClass(/app-dark/);

  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("プロジェクト");
});

test("signing out forgets the session in every tab", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, OTHER);
  const second = await context.newPage();
  await second.goto("/projects");
  await expect(second.getByRole("heading", { level: 1 })).toHaveText("Projects");

  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await second.reload();
  await expect(second).toHaveURL(/\/login\?redirect=\/projects$/);
});

// Last: it uses up this address's sign-in allowance.
test("too many sign-in attempts say how long to wait", async ({ page }) => {
  // A script guessing passwords uses up the allowance; the next try in the browser is refused.
  const headers = await csrfHeaders(page.context(), page.request);
  let refused = false;
  for (let guess = 0; guess <= SIGN_IN_ALLOWANCE && !refused; guess += 1) {
    const answer = await page.request.post("/api/v1/auth/login/", { headers, data: { username: OTHER.username, password: `guess-${guess}` } });
    refused = answer.status() === 429;
  }
  expect(refused).toBe(true);
  await page.goto("/login");
  await page.getByLabel("User name").fill(OTHER.username);
  await page.getByLabel("Password", { exact: true }).fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText(/Try again in \d+ seconds/);
  await expect(page.getByRole("button", { name: "Sign in" })).toBeDisabled();
});
