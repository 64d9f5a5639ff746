// `make screenshots`: a PNG of every page, light and dark, into docs/screenshots/.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

import { expect, test } from "@playwright/test";

import {
  ADMIN,
  choosePreferences,
  createProject,
  movielensItemsCsv,
  movielensRatingsCsv,
  signIn,
  uploadValid,
} from "./support";

const TARGET = resolve(import.meta.dirname, "..", "..", "docs", "screenshots");

test("every page, in the light and the dark theme", async ({ browser }) => {
  mkdirSync(TARGET, { recursive: true });
  const setup = await (await browser.newContext()).newPage();
  await signIn(setup, ADMIN);
  const project = await createProject(setup, "MovieLens 100K");
  const data = await uploadValid(setup, `${project}/data/upload`, movielensRatingsCsv());
  const items = await uploadValid(setup, `${project}/item-metadata/upload`, movielensItemsCsv());
  const state = await setup.context().storageState();

  const pages = {
    projects: "/projects",
    dashboard: project,
    "training-data": `${project}/data`,
    "training-data-upload": `${project}/data/upload`,
    "training-data-detail": data,
    "item-metadata-detail": items,
    "api-keys": `${project}/api-keys`,
    deployment: `${project}/deployment`,
    "ab-tests": `${project}/ab-tests`,
    conversions: `${project}/conversions`,
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
