import { flushPromises } from "@vue/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { freshPinia, mountWithApp, testRouter } from "@/testing/app";
import { scriptFetch } from "@/testing/fetch";

import AuthLoginPage from "./AuthLoginPage.vue";

const SIGNED_OUT = [
  { status: 401, body: { error: { code: "not_authenticated", message: "no" } } },
  { status: 401, body: { error: { code: "not_authenticated", message: "no" } } },
];

async function loginPage(path: string) {
  const router = testRouter();
  await router.push(path);
  return { router, wrapper: mountWithApp(AuthLoginPage, router) };
}

beforeEach(() => {
  freshPinia();
  localStorage.clear();
  document.cookie = "csrftoken=t; path=/";
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  document.body.innerHTML = "";
});

async function submit(wrapper: ReturnType<typeof mountWithApp>): Promise<void> {
  await wrapper.find("#login-username").setValue("ada");
  await wrapper.find("#login-password").setValue("wrong");
  await wrapper.find("form").trigger("submit");
  await flushPromises();
}

describe("the sign-in page", () => {
  it("says how long to wait after too many attempts, and counts down", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    scriptFetch(...SIGNED_OUT, {
      status: 429,
      body: { error: { code: "throttled", message: "slow" } },
      headers: { "Retry-After": "12" },
    });
    const { wrapper } = await loginPage("/login");

    await submit(wrapper);

    expect(wrapper.find("[role=alert]").text()).toContain("Try again in 12 seconds");
    expect(wrapper.find("button[type=submit]").attributes("disabled")).toBeDefined();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(wrapper.find("[role=alert]").text()).toContain("Try again in 7 seconds");
    await vi.advanceTimersByTimeAsync(8_000);
    expect(wrapper.find("button[type=submit]").attributes("disabled")).toBeUndefined();
  });

  it("goes where the visitor was heading after signing in", async () => {
    const user = { id: 1, username: "ada", is_staff: false, is_active: true, date_joined: "", last_login: null };
    scriptFetch(
      ...SIGNED_OUT,
      { body: { access: "a", refresh: "", user, access_expiration: new Date(Date.now() + 300_000).toISOString(), refresh_expiration: "" } },
    );
    const { router, wrapper } = await loginPage("/login?redirect=/projects/5");

    await submit(wrapper);

    // The next page's code loads on demand, which takes a moment in a test.
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe("/projects/5"), {
      timeout: 15_000,
    });
  });
});
