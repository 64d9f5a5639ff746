// End-to-end tests drive Debian's Chromium against the whole platform, started once for
// the run the way `make run` starts it (scripts/devstack.py): nginx from the deployment's
// templates in front of the backend, the workers and the inference service.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { defineConfig } from "@playwright/test";

const REPO = resolve(import.meta.dirname, "..");
// Addresses in a loopback range of their own, so a `make run` on :8000 can keep running.
const HOST = process.env.E2E_HOST ?? "127.0.3.10";
const PORT = process.env.E2E_PORT ?? "18000";
// MovieLens 100K next to the checkout, where the backend's tests find it too; the sample
// project is built from it, never downloaded.
export const MOVIELENS_DIR = resolve(REPO, "..", "shared", "datasets", "ml-100k");
export const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? "e2e-admin-password-5d1c8b";
// Every process (the runner, its workers) reads this file: one data directory per run.
process.env.E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), "recotem-e2e-"));

// A fresh embedded database and Redis for each run: the suite starts from nothing, and
// leaves nothing in a database or Redis the machine's other suites use. Playwright starts
// the server with this environment laid over its own, so blank values are how these are
// left unset.
const ISOLATED = { DATABASE_URL: "", REDIS_URL: "", SECRET_KEY: "" };
// The suite signs in a few dozen times a minute from one address, through the proxy's
// limit and the backend's, each time after anonymous requests (the CSRF cookie, the
// session check); the test of the sign-in limit uses its allowance up.
export const SIGN_IN_ALLOWANCE = 60;
const ANONYMOUS_ALLOWANCE = 1000;

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  timeout: 180_000,
  expect: { timeout: 30_000 },
  workers: 1,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL: `http://${HOST}:${PORT}`,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    viewport: { width: 1280, height: 800 },
    // A click on something that never appears fails like an expectation, not at the test timeout.
    actionTimeout: 30_000,
  },
  projects: [
    { name: "e2e", testMatch: /.*\.e2e\.ts$/ },
    { name: "screenshots", testMatch: /screenshots\.ts$/ },
  ],
  webServer: {
    command: `${join(REPO, "backend", ".venv", "bin", "python")} ${join(REPO, "scripts", "devstack.py")} run`,
    cwd: REPO,
    url: `http://${HOST}:${PORT}/api/v1/ping/`,
    // A cold start builds the web UI and imports the machine-learning stack in every role.
    timeout: 600_000,
    // E2E_REUSE=1 runs against a stack already answering at E2E_HOST:E2E_PORT.
    reuseExistingServer: process.env.E2E_REUSE === "1",
    stdout: "ignore",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
    env: {
      ...ISOLATED,
      THROTTLE_LOGIN_RATE: `${SIGN_IN_ALLOWANCE}/minute`,
      THROTTLE_ANON_RATE: `${ANONYMOUS_ALLOWANCE}/minute`,
      // The proxy's own limit on sign-ins (nginx) lets a burst of twice the allowance
      // through, so the backend's limit, which holds for its whole minute, is the one met.
      PROXY_LOGIN_RATE: `${SIGN_IN_ALLOWANCE}r/m`,
      PROXY_LOGIN_BURST: String(SIGN_IN_ALLOWANCE * 2),
      RECOTEM_DATA_DIR: process.env.E2E_DATA_DIR,
      DEFAULT_ADMIN_USERNAME: "admin",
      DEFAULT_ADMIN_PASSWORD: ADMIN_PASSWORD,
      PROXY_HOST: HOST,
      PROXY_PORT: PORT,
      BACKEND_HOST: process.env.E2E_BACKEND_HOST ?? "127.0.3.11",
      BACKEND_PORT: process.env.E2E_BACKEND_PORT ?? "18001",
      INFERENCE_HOST: process.env.E2E_INFERENCE_HOST ?? "127.0.3.12",
      INFERENCE_PORT: process.env.E2E_INFERENCE_PORT ?? "18002",
      // Small enough to try, large enough for MovieLens 100K (2 MB).
      MAX_UPLOAD_SIZE: String(8 * 1024 * 1024),
      RECOTEM_SAMPLE_DATA_DIR: MOVIELENS_DIR,
    },
  },
});
