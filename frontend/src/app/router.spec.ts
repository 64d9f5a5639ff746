import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { freshPinia, testRouter } from "@/testing/app";
import { scriptFetch } from "@/testing/fetch";

const UNAUTHENTICATED = { status: 401, body: { error: { code: "not_authenticated", message: "no" } } };
const user = (is_staff: boolean) => ({ body: { id: 1, username: "ada", is_staff, is_active: true, date_joined: "", last_login: null } });

beforeEach(() => {
  freshPinia();
  localStorage.clear();
});
afterEach(() => vi.unstubAllGlobals());

describe("route guards", () => {
  it("send a signed-out visitor to sign in, remembering where they were going", async () => {
    scriptFetch(UNAUTHENTICATED, UNAUTHENTICATED);
    const router = testRouter();

    await router.push("/projects/3/data?page=2");

    expect(router.currentRoute.value.name).toBe("login");
    expect(router.currentRoute.value.query.redirect).toBe("/projects/3/data?page=2");
  });

  it("send a signed-in person away from the sign-in page to a safe place", async () => {
    scriptFetch(user(false));
    const router = testRouter();

    await router.push("/login?redirect=//evil.example");

    expect(router.currentRoute.value.fullPath).toBe("/projects");
  });

  it("show an admin page as not found to others", async () => {
    scriptFetch(user(false));
    const router = testRouter();

    await router.push("/users");

    expect(router.currentRoute.value.name).toBe("not-found");
  });

  it("open an admin page to an administrator", async () => {
    scriptFetch(user(true));
    const router = testRouter();

    await router.push("/users");

    expect(router.currentRoute.value.name).toBe("users");
  });
});
