// `make screenshots`: a PNG of every page, light and dark, into docs/screenshots/.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

import { expect, test } from "@playwright/test";

import {
  ADMIN,
  choosePreferences,
  createProject,
  csrfHeaders,
  movielensItemsCsv,
  movielensRatingsCsv,
  signedInContext,
  signIn,
  uploadValid,
} from "./support";

const TARGET = resolve(import.meta.dirname, "..", "..", "docs", "screenshots");

test("every page, in the light and the dark theme", async ({ browser }) => {
  test.setTimeout(1_200_000);
  mkdirSync(TARGET, { recursive: true });
  const setup = await (await browser.newContext()).newPage();
  await signIn(setup, ADMIN);
  const project = await createProject(setup, "MovieLens 100K");
  const data = await uploadValid(setup, `${project}/data/upload`, movielensRatingsCsv());
  const items = await uploadValid(setup, `${project}/item-metadata/upload`, movielensItemsCsv());
  // A short tuning job through the API, for the pages with charts and previews.
  const headers = await csrfHeaders(setup.context(), setup.request);
  const post = async (path: string, data: object) => (await setup.request.post(path, { headers, data })).json();
  const dataId = Number(data.split("/").pop());
  const split = await post("/api/v1/split_config/", { scheme: "RG", heldout_ratio: 0.1, test_user_ratio: 1 });
  const evaluation = await post("/api/v1/evaluation_config/", { target_metric: "ndcg", cutoff: 10 });
  const job = await post("/api/v1/parameter_tuning_job/", {
    data: dataId, split: split.id, evaluation: evaluation.id, n_trials: 12, tried_algorithms_json: ["TopPop", "RP3beta", "CosineKNN"],
  });
  let tuned: { status: string; tuned_model: number | null } = { status: "PENDING", tuned_model: null };
  await expect(async () => {
    tuned = await (await setup.request.get(`/api/v1/parameter_tuning_job/${job.id}/`)).json();
    expect(tuned.status).toBe("COMPLETED");
    expect(tuned.tuned_model).not.toBeNull();
  }).toPass({ timeout: 600_000 });
  let configuration = 0;
  await expect(async () => {
    const model = await (await setup.request.get(`/api/v1/trained_model/${tuned.tuned_model}/`)).json();
    expect(model.status).toBe("COMPLETED");
    configuration = model.configuration;
  }).toPass({ timeout: 600_000 });
  // A weekly retraining of the tuned configuration, for the retraining page and the dashboard.
  await post("/api/v1/retraining_schedule/", {
    project: Number(project.split("/").pop()),
    is_enabled: true,
    cron_expression: "0 3 * * 1",
    timezone: "Asia/Tokyo",
    model_configuration: configuration,
  });

  const pages = {
    projects: "/projects",
    dashboard: project,
    "training-data": `${project}/data`,
    "training-data-upload": `${project}/data/upload`,
    "training-data-detail": data,
    "item-metadata-detail": items,
    tuning: `${project}/tuning`,
    "tuning-new": `${project}/tuning/new`,
    configurations: `${project}/configurations`,
    "configuration-new": `${project}/configurations/new`,
    models: `${project}/models`,
    "model-train": `${project}/models/train`,
    "models-compare": `${project}/models/compare`,
    "tuning-detail": `${project}/tuning/${job.id}`,
    "model-detail": `${project}/models/${tuned.tuned_model}`,
    "api-keys": `${project}/api-keys`,
    deployment: `${project}/deployment`,
    "ab-tests": `${project}/ab-tests`,
    conversions: `${project}/conversions`,
    retraining: `${project}/retraining`,
    serving: `${project}/serving`,
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

    const context = await signedInContext(browser, ADMIN);
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
