// A person's first hour with Recotem, in a real browser against the real platform.
import { type BrowserContext, expect, test } from "@playwright/test";

import {
  ADMIN,
  choosePreferences,
  createProject,
  createUser,
  expectAccessible,
  movielensItemsCsv,
  movielensRatingsCsv,
  signIn,
  uploadValid,
} from "./support";

test.describe.configure({ mode: "serial" });

const PROJECT = `MovieLens 100K ${Date.now()}`;
const OTHER = { username: `second-user-${Date.now()}`, password: "second-user-password-4e7a" };
// Filled in as the story goes on; the later tests visit what the earlier ones made.
const made = { projectPath: "", dataPath: "", itemPath: "" };
let adminState: Awaited<ReturnType<BrowserContext["storageState"]>>;

test("a person signs in and creates a project", async ({ page }) => {
  await page.goto("/projects");
  await expect(page).toHaveURL(/\/login\?redirect=\/projects$/);
  await signIn(page, ADMIN);

  made.projectPath = await createProject(page, PROJECT);

  await expect(page.getByTestId("next-action")).toContainText("Upload an interaction log");
  adminState = await page.context().storageState();
});

test("MovieLens 100K uploads as CSV and validates with its exact counts", async ({ browser }) => {
  const page = await (await browser.newContext({ storageState: adminState })).newPage();
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

test("a tuning job starts from the form and its trials advance on the list", async ({ browser }) => {
  const page = await (await browser.newContext({ storageState: adminState })).newPage();
  await page.goto(`${made.projectPath}/tuning`);
  await page.getByRole("link", { name: "New tuning job" }).first().click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("New tuning job");
  await expect(page.getByTestId("tuning-data")).toContainText("ml-100k-ratings.csv");

  // A ratio outside (0, 1) comes back from the server and shows at its field.
  await page.getByLabel("Held-out ratio").fill("1.5");
  await page.getByRole("button", { name: "Start tuning" }).click();
  await expect(page.locator("#split-heldout_ratio-error")).toBeVisible();

  await page.getByLabel("Held-out ratio").fill("0.1");
  await page.getByLabel("Trials", { exact: true }).fill("3");
  await page.getByRole("button", { name: "Start tuning" }).click();
  await expect(page).toHaveURL(/\/tuning\?created=\d+$/);
  const row = page.getByTestId("tuning-table").locator("tbody tr").first();
  await expect(row.getByTestId("tuning-trials")).toContainText("of 3");
  await expect(row.getByTestId("tuning-status")).toHaveAttribute("data-status", "COMPLETED", { timeout: 600_000 });
  await expect(row.getByTestId("tuning-trials")).toHaveText("3 of 3");
});

test("MovieLens item titles upload as item metadata", async ({ browser }) => {
  const page = await (await browser.newContext({ storageState: adminState })).newPage();
  made.itemPath = await uploadValid(page, `${made.projectPath}/item-metadata/upload`, movielensItemsCsv());

  await expect(page.getByTestId("fact-n_items")).toHaveText("1,682");
  await expect(page.getByTestId("preview-table")).toContainText("Toy Story (1995)");
});

test("a second person sees none of the first one's projects", async ({ browser }) => {
  const admin = await (await browser.newContext({ storageState: adminState })).newPage();
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
  { path: "/account/password", en: "Change password", ja: "パスワードの変更" },
  { path: "/users", en: "Users", ja: "ユーザー" },
  { path: "/no-such-page", en: "This page does not exist", ja: "このページは存在しません" },
];

for (const [locale, theme] of [
  ["en", "light"],
  ["ja", "dark"],
] as const) {
  test(`every page reads in ${locale}, in the ${theme} theme, with no accessibility violation`, async ({ browser }) => {
    const context = await browser.newContext({ storageState: adminState });
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
  const page = await (await browser.newContext({ storageState: adminState })).newPage();
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
  await page.goto("/login");
  await page.getByLabel("User name").fill(OTHER.username);
  await page.getByLabel("Password", { exact: true }).fill("not-the-password");
  const alert = page.getByRole("alert");
  await expect(async () => {
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(alert).toContainText(/Try again in \d+ seconds/, { timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByRole("button", { name: "Sign in" })).toBeDisabled();
});
