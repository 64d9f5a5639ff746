// `make screenshots`: a PNG of every page, light and dark, into docs/screenshots/.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

import { expect, test } from "@playwright/test";

import { ADMIN, choosePreferences, movielensItemsCsv, movielensRatingsCsv, signIn } from "./support";

const TARGET = resolve(import.meta.dirname, "..", "..", "docs", "screenshots");

test("every page, in the light and the dark theme", async ({ browser }) => {
  mkdirSync(TARGET, { recursive: true });
  const setup = await (await browser.newContext()).newPage();
  await signIn(setup, ADMIN);
  await setup.getByRole("button", { name: "New project" }).first().click();
  await setup.getByLabel("Name").fill("MovieLens 100K");
  await setup.getByLabel("Time column (optional)").fill("timestamp");
  await setup.getByRole("button", { name: "Create" }).click();
  await expect(setup.getByRole("heading", { level: 1, name: "MovieLens 100K" })).toBeVisible();
  const project = new URL(setup.url()).pathname;
  const upload = async (path: string, file: string) => {
    await setup.goto(`${project}/${path}/upload`);
    await setup.locator("#upload-file").setInputFiles(file);
    await setup.getByTestId("upload-send").click();
    await expect(setup.getByTestId("validation-status")).toHaveAttribute("data-status", "VALID", { timeout: 120_000 });
    return new URL(setup.url()).pathname;
  };
  const data = await upload("data", movielensRatingsCsv());
  const items = await upload("item-metadata", movielensItemsCsv());
  const state = await setup.context().storageState();

  const pages = {
    projects: "/projects",
    dashboard: project,
    "training-data": `${project}/data`,
    "training-data-upload": `${project}/data/upload`,
    "training-data-detail": data,
    "item-metadata-detail": items,
    password: "/account/password",
    users: "/users",
    "not-found": "/no-such-page",
  };
  for (const theme of ["light", "dark"] as const) {
    const signedOut = await browser.newContext();
    await choosePreferences(signedOut, "en", theme);
    const login = await signedOut.newPage();
    await login.goto("/login");
    await login.waitForLoadState("networkidle");
    await login.screenshot({ path: join(TARGET, `login-${theme}.png`) });

    const context = await browser.newContext({ storageState: state });
    await choosePreferences(context, "en", theme);
    const page = await context.newPage();
    for (const [name, path] of Object.entries(pages)) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await page.waitForLoadState("networkidle");
      await page.screenshot({ path: join(TARGET, `${name}-${theme}.png`), fullPage: true });
    }
  }
});
