// Administering accounts in a real browser against the real platform: a staff member
// creates, resets and disables an account; nobody can demote or disable themselves; and
// anyone can change their own password.
import { type Browser, type BrowserContext, expect, type Page, test } from "@playwright/test";

import { ADMIN, choosePreferences, createUser, expectAccessible, signedInContext } from "./support";

test.describe.configure({ mode: "serial" });

const STAMP = Date.now();
const MANAGED = { username: `managed-${STAMP}`, password: "managed-first-password-7c2e", reset: "managed-reset-password-93ab" };
const MEMBER = { username: `member-${STAMP}`, password: "member-first-password-51d0", changed: "member-changed-password-e8f4" };
let adminState: Awaited<ReturnType<BrowserContext["storageState"]>>;

async function adminPage(browser: Browser): Promise<Page> {
  if (adminState === undefined) adminState = await (await signedInContext(browser, ADMIN)).storageState();
  return (await browser.newContext({ storageState: adminState })).newPage();
}

/**
 * Signs in through the form; answers whether the server let the account in. The sign-in
 * allowance of this address is shared with every other test, so a throttled attempt waits
 * the time the page states and tries again.
 */
async function trySignIn(page: Page, username: string, password: string): Promise<boolean> {
  await page.goto("/login");
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  const alert = page.getByRole("alert");
  for (;;) {
    await page.getByRole("button", { name: "Sign in" }).click();
    // The outcomes that lose the race time out later; they must not fail the test then.
    const signedIn = await Promise.race([
      page.waitForURL(/\/projects$/).then(() => true, () => undefined),
      alert
        .filter({ hasText: "The user name or password is wrong, or the account is disabled." })
        .waitFor()
        .then(() => false, () => undefined),
      alert
        .filter({ hasText: /Try again in \d+ seconds/ })
        .waitFor()
        .then(() => null, () => undefined),
    ]);
    if (signedIn === undefined) throw new Error(`signing in as ${username} had no outcome`);
    if (signedIn !== null) return signedIn;
    const seconds = Number(/Try again in (\d+) seconds/.exec((await alert.textContent()) ?? "")?.[1] ?? 60);
    await page.waitForTimeout((seconds + 1) * 1000);
  }
}

function row(page: Page, username: string) {
  return page.getByTestId("users-table").getByRole("row", { name: new RegExp(username) });
}

test("staff create an account, reset its password and disable it, and its sign-in is refused", async ({ browser }) => {
  const page = await adminPage(browser);
  await page.goto("/users");
  await page.getByTestId("user-create").click();
  const dialog = page.getByRole("dialog", { name: "New user" });
  await dialog.getByLabel("User name").fill(MANAGED.username);
  await dialog.getByLabel("Email").fill(`${MANAGED.username}@example.com`);
  await dialog.getByLabel("Password", { exact: true }).fill(MANAGED.password);
  await dialog.getByRole("button", { name: "Create user" }).click();
  await expect(dialog).toBeHidden();
  await page.getByLabel("Search by name or email").fill(MANAGED.username);
  await expect(row(page, MANAGED.username)).toContainText("Member");
  await expect(row(page, MANAGED.username)).toContainText("Active");

  await page.getByRole("button", { name: `Edit ${MANAGED.username}` }).click();
  const edit = page.getByRole("dialog", { name: `Edit ${MANAGED.username}` });
  await edit.getByLabel("Email").fill(`renamed-${STAMP}@example.com`);
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit).toBeHidden();
  await expect(row(page, MANAGED.username)).toContainText(`renamed-${STAMP}@example.com`);

  await page.getByRole("button", { name: `Reset the password of ${MANAGED.username}` }).click();
  const reset = page.getByRole("dialog", { name: `Reset the password of ${MANAGED.username}` });
  await reset.getByLabel("New password", { exact: true }).fill(MANAGED.reset);
  await reset.getByLabel("New password again").fill(`${MANAGED.reset}x`);
  await expect(reset).toContainText("The two passwords differ.");
  await expect(reset.getByRole("button", { name: "Reset password" })).toBeDisabled();
  await reset.getByLabel("New password again").fill(MANAGED.reset);
  await reset.getByRole("button", { name: "Reset password" }).click();
  await expect(reset).toBeHidden();

  const visitor = await (await browser.newContext()).newPage();
  expect(await trySignIn(visitor, MANAGED.username, MANAGED.reset)).toBe(true);

  await page.getByRole("button", { name: `Disable ${MANAGED.username}` }).click();
  await expect(page.getByTestId("confirm-dialog")).toContainText(`${MANAGED.username} can no longer sign in`);
  await page.getByTestId("confirm-action").click();
  await expect(row(page, MANAGED.username)).toContainText("Disabled");

  const refused = await (await browser.newContext()).newPage();
  expect(await trySignIn(refused, MANAGED.username, MANAGED.reset)).toBe(false);
});

test("staff cannot demote or disable themselves, and the page says why", async ({ browser }) => {
  const page = await adminPage(browser);
  await page.goto("/users");
  await page.getByLabel("Search by name or email").fill(ADMIN.username);

  await page.getByRole("button", { name: `Edit ${ADMIN.username}`, exact: true }).click();
  const edit = page.getByRole("dialog", { name: `Edit ${ADMIN.username}` });
  await edit.getByLabel("Administrator").click();
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit).toContainText("You cannot remove your own staff status.");
  await edit.getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("button", { name: `Disable ${ADMIN.username}`, exact: true }).click();
  await page.getByTestId("confirm-action").click();
  await expect(page.getByTestId("confirm-dialog")).toContainText("You cannot deactivate your own account.");
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Cancel" }).click();
  await expect(row(page, ADMIN.username).first()).toContainText("Administrator");
});

test("a member sees no users page and changes their own password from the user menu", async ({ browser }) => {
  const admin = await adminPage(browser);
  await createUser(admin, MEMBER.username, MEMBER.password);

  const page = await (await signedInContext(browser, MEMBER)).newPage();
  await page.goto("/projects");
  await expect(page.getByRole("navigation", { name: "Main" })).not.toContainText("Users");
  await page.goto("/users");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This page does not exist");

  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Change password" }).click();
  await page.getByLabel("Current password").fill(MEMBER.password);
  await page.getByLabel("New password", { exact: true }).fill(MEMBER.changed);
  await page.getByLabel("New password again").fill(MEMBER.changed);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Your password was changed.")).toBeVisible();

  const visitor = await (await browser.newContext()).newPage();
  expect(await trySignIn(visitor, MEMBER.username, MEMBER.changed)).toBe(true);
});

for (const [locale, theme] of [
  ["en", "light"],
  ["ja", "dark"],
  ["en", "dark"],
  ["ja", "light"],
] as const) {
  test(`the users page and its dialogs read in ${locale}, in the ${theme} theme, with no accessibility violation`, async ({ browser }) => {
    const context = await browser.newContext({ storageState: adminState });
    await choosePreferences(context, locale, theme);
    const page = await context.newPage();
    await page.goto("/users");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(locale === "en" ? "Users" : "ユーザー");
    await expectAccessible(page);
    await page.getByTestId("user-create").click();
    await expect(page.getByRole("dialog")).toBeVisible();
    await expectAccessible(page);
  });
}
