import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { accessExpiresAt } from "@/api/access";
import { queryClient } from "@/app/queryClient";
import { freshPinia } from "@/testing/app";
import { scriptFetch } from "@/testing/fetch";

import { useSessionStore } from "./session";

const USER = { id: 1, username: "ada", is_staff: false, is_active: true, date_joined: "", last_login: null };

beforeEach(() => {
  freshPinia();
  localStorage.clear();
  document.cookie = "csrftoken=t; path=/";
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("the session", () => {
  it("restores who is signed in from the cookies", async () => {
    scriptFetch({ body: USER });
    const session = useSessionStore();

    await session.restore();

    expect(session.isSignedIn).toBe(true);
    expect(session.user?.username).toBe("ada");
  });

  it("is signed out when neither cookie is accepted", async () => {
    scriptFetch(
      { status: 401, body: { error: { code: "not_authenticated", message: "no" } } },
      { status: 401, body: { error: { code: "authentication_failed", message: "no" } } },
    );
    const session = useSessionStore();

    await session.restore();

    expect(session.status).toBe("signedOut");
  });

  it("renews the access cookie before it expires", async () => {
    const now = Date.now();
    const fetch = scriptFetch(
      { body: { access: "a", refresh: "", user: USER, access_expiration: new Date(now + 300_000).toISOString(), refresh_expiration: "" } },
      { body: { access: "b", access_expiration: new Date(now + 600_000).toISOString() } },
    );
    const session = useSessionStore();
    await session.signIn("ada", "pw");

    await vi.advanceTimersByTimeAsync(300_000 - 31_000);
    expect(fetch.paths()).toEqual(["POST /api/v1/auth/login/"]);
    await vi.advanceTimersByTimeAsync(2_000);

    expect(fetch.paths()).toEqual(["POST /api/v1/auth/login/", "POST /api/v1/auth/token/refresh/"]);
    expect(accessExpiresAt()).toBe(now + 600_000);
  });

  it("forgets cached server data when signing out", async () => {
    scriptFetch({ body: USER }, { body: { detail: "Signed out." } });
    const session = useSessionStore();
    await session.restore();
    queryClient.setQueryData(["projects", "list", {}], { count: 1, results: [] });

    await session.signOut();

    expect(session.status).toBe("signedOut");
    expect(queryClient.getQueryData(["projects", "list", {}])).toBeUndefined();
  });
});
