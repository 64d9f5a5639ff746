// What the end-to-end tests and the screenshots share: accounts, MovieLens files in the
// shape a person would upload them, and shortcuts through the API for setting up.
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import AxeBuilder from "@axe-core/playwright";
import { type APIRequestContext, type Browser, type BrowserContext, expect, type Page } from "@playwright/test";

import { ADMIN_PASSWORD, MOVIELENS_DIR } from "../playwright.config";

export const ADMIN = { username: "admin", password: ADMIN_PASSWORD };

/** u.data (tab-separated, no header) as the CSV with a header that the upload expects. */
export function movielensRatingsCsv(): string {
  const rows = readFileSync(join(MOVIELENS_DIR, "u.data"), "utf8").trim().split("\n");
  const path = join(process.env.E2E_DATA_DIR ?? tmpdir(), "ml-100k-ratings.csv");
  writeFileSync(path, ["user_id,item_id,rating,timestamp", ...rows.map((r) => r.replaceAll("\t", ","))].join("\n") + "\n");
  return path;
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** u.item (pipe-separated Latin-1) as a UTF-8 CSV of item id, title and release date. */
export function movielensItemsCsv(): string {
  const rows = readFileSync(join(MOVIELENS_DIR, "u.item"), "latin1").trim().split("\n");
  const lines = rows.map((row) => row.split("|").slice(0, 3).map(csvField).join(","));
  const path = join(process.env.E2E_DATA_DIR ?? tmpdir(), "ml-100k-items.csv");
  writeFileSync(path, ["item_id,title,release_date", ...lines].join("\n") + "\n");
  return path;
}

export async function signIn(page: Page, account: { username: string; password: string }): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("User name").fill(account.username);
  await page.getByLabel("Password", { exact: true }).fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/projects$/);
}

/**
 * A browser context signed in as `account` through the API, with a session of its own:
 * contexts that share one stored session share its refresh token, and the first to renew
 * it would sign the others out.
 */
export async function signedInContext(browser: Browser, account: { username: string; password: string }): Promise<BrowserContext> {
  const context = await browser.newContext();
  const response = await context.request.post("/api/v1/auth/login/", {
    headers: await csrfHeaders(context, context.request),
    data: account,
  });
  expect(response.status(), await response.text()).toBe(200);
  return context;
}

/** Creates a project through its dialog on the projects page; answers its dashboard's path. */
export async function createProject(page: Page, name: string): Promise<string> {
  await page.goto("/projects");
  await page.getByRole("button", { name: "New project" }).first().click();
  const dialog = page.getByRole("dialog", { name: "New project" });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Time column (optional)").fill("timestamp");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  return new URL(page.url()).pathname;
}

/** Uploads a file on an upload page and waits until the worker has validated it. */
export async function uploadValid(page: Page, uploadPath: string, file: string): Promise<string> {
  await page.goto(uploadPath);
  await page.locator("#upload-file").setInputFiles(file);
  await page.getByTestId("upload-send").click();
  await expect(page.getByTestId("validation-status")).toHaveAttribute("data-status", "VALID", { timeout: 120_000 });
  return new URL(page.url()).pathname;
}

/** The CSRF header a cookie-authenticated write through `request` needs. */
export async function csrfHeaders(context: BrowserContext, request: APIRequestContext): Promise<Record<string, string>> {
  await request.get("/api/v1/auth/csrf/");
  const token = (await context.cookies()).find((cookie) => cookie.name === "csrftoken")?.value;
  if (!token) throw new Error("the backend set no csrftoken cookie");
  return { "X-CSRFToken": token };
}

export async function createUser(page: Page, username: string, password: string): Promise<void> {
  const response = await page.request.post("/api/v1/users/", {
    headers: await csrfHeaders(page.context(), page.request),
    data: { username, password },
  });
  expect(response.status(), await response.text()).toBe(201);
}

/** Language and theme chosen before the SPA starts, as a returning visitor's browser has them. */
export async function choosePreferences(context: BrowserContext, locale: "en" | "ja", theme: "light" | "dark"): Promise<void> {
  await context.addInitScript(
    ([l, t]) => {
      localStorage.setItem("recotem.locale", l);
      localStorage.setItem("recotem.theme", t);
    },
    [locale, theme] as const,
  );
}

/** WCAG 2.1 A and AA, colour contrast included. */
export async function expectAccessible(page: Page): Promise<void> {
  // Wait for every PrimeVue overlay animation and lazy chunk to settle.
  await page.waitForLoadState("networkidle");
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const summary = results.violations.map((violation) => ({
    rule: violation.id,
    impact: violation.impact,
    nodes: violation.nodes.slice(0, 3).map((node) => `${node.target.join(" ")}: ${node.failureSummary ?? ""}`),
  }));
  expect(summary, `accessibility violations on ${page.url()}`).toEqual([]);
}
