// A newcomer's first minutes: on an account with no projects, the MovieLens sample button
// leads to recommendations with the movies' titles.
import { expect, test } from "@playwright/test";

import { ADMIN, choosePreferences, createUser, expectAccessible, signedInContext, signIn } from "./support";

// A person of their own: the other tests' projects belong to the admin, and a person sees
// only the projects they own, so this one's projects page starts empty.
const NEWCOMER = { username: `newcomer-${Date.now()}`, password: "newcomer-password-9c2f" };

test.beforeAll(async ({ browser }) => {
  const admin = await (await signedInContext(browser, ADMIN)).newPage();
  await createUser(admin, NEWCOMER.username, NEWCOMER.password);
});

test("the sample's terms read in Japanese in the dark theme with no accessibility violation", async ({ browser }) => {
  const context = await signedInContext(browser, NEWCOMER);
  await choosePreferences(context, "ja", "dark");
  const page = await context.newPage();
  await page.goto("/projects");
  await page.getByTestId("sample-open").click();
  const dialog = page.getByRole("dialog", { name: "MovieLens サンプルを読み込む" });
  await expect(dialog).toContainText("再配布");
  await expectAccessible(page);
  await dialog.getByRole("button", { name: "キャンセル" }).click();
  await expect(page.getByText("プロジェクトはまだありません")).toBeVisible();
});

test("the sample button on an empty account leads to recommendations with titles", async ({ page }) => {
  await signIn(page, NEWCOMER);
  await expect(page.getByText("No projects yet")).toBeVisible();
  await page.getByTestId("sample-open").click();
  const dialog = page.getByRole("dialog", { name: "Load the MovieLens sample" });
  await expect(dialog).toContainText("may not be redistributed");
  await dialog.getByRole("button", { name: "Accept the terms and load" }).click();

  // The server's answer: the key once, a request for titled recommendations, the data's terms.
  await expect(dialog.getByTestId("apikey-secret")).toHaveText(/\S{20,}/);
  await expect(dialog.getByTestId("apikey-curl")).toContainText('"fields": ["title", "genres"]');
  await expect(dialog.getByTestId("sample-terms")).toContainText("GroupLens");
  await expect(dialog.getByRole("link", { name: "Watch the tuning job live" })).toHaveAttribute("href", /\/tuning\/\d+$/);
  await expectAccessible(page);

  await expect(dialog.getByTestId("sample-progress")).toHaveAttribute("data-phase", "ready", { timeout: 150_000 });
  await dialog.getByTestId("sample-show").click();
  await expect(page).toHaveURL(/\/projects\/\d+\/models\/\d+$/);
  // MovieLens titles carry their year: "Star Wars (1977)".
  const titles = page.getByTestId("preview-recommendations").locator('[data-column="title"]');
  await expect(titles.first()).toHaveText(/^.+ \(\d{4}\)$/);
  await expect(titles).toHaveCount(10);
});
