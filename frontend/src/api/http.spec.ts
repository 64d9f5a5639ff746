import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { scriptFetch } from "@/testing/fetch";

import { accessExpiresAt, onSessionLost } from "./access";
import { ApiError } from "./errors";
import { api, unwrap } from "./http";

beforeEach(() => {
  document.cookie = "csrftoken=token-1; path=/";
  localStorage.clear();
});
afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
});

describe("the HTTP layer", () => {
  it("sends the CSRF token with writes only", async () => {
    const fetch = scriptFetch({ body: { count: 0, results: [] } }, { status: 201, body: { id: 1 } });

    await unwrap(api.GET("/api/v1/project/"));
    await unwrap(api.POST("/api/v1/project/", { body: { name: "p", user_column: "u", item_column: "i" } }));

    expect(fetch.calls[0]?.headers.get("X-CSRFToken")).toBeNull();
    expect(fetch.calls[1]?.headers.get("X-CSRFToken")).toBe("token-1");
  });

  it("renews an expired access cookie once and repeats the request", async () => {
    const expiration = new Date(Date.now() + 300_000).toISOString();
    const fetch = scriptFetch(
      { status: 401, body: { error: { code: "not_authenticated", message: "expired" } } },
      { body: { access: "x", access_expiration: expiration } },
      { status: 201, body: { id: 7 } },
    );

    const created = await unwrap(
      api.POST("/api/v1/project/", { body: { name: "p", user_column: "u", item_column: "i" } }),
    );

    expect(created.id).toBe(7);
    expect(fetch.paths()).toEqual([
      "POST /api/v1/project/",
      "POST /api/v1/auth/token/refresh/",
      "POST /api/v1/project/",
    ]);
    expect(await fetch.calls[2]?.json()).toEqual({ name: "p", user_column: "u", item_column: "i" });
    expect(accessExpiresAt()).toBe(Date.parse(expiration));
  });

  it("reports a lost session when the refresh token is refused too", async () => {
    const lost = vi.fn();
    const stop = onSessionLost(lost);
    scriptFetch(
      { status: 401, body: { error: { code: "not_authenticated", message: "expired" } } },
      { status: 401, body: { error: { code: "authentication_failed", message: "blacklisted" } } },
    );

    const failure = await unwrap(api.GET("/api/v1/project/")).catch((error: unknown) => error);

    stop();
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(401);
    expect(lost).toHaveBeenCalledOnce();
  });

  it("never retries sign-in", async () => {
    const fetch = scriptFetch({ status: 401, body: { error: { code: "authentication_failed", message: "no" } } });

    await expect(unwrap(api.POST("/api/v1/auth/login/", { body: { username: "a", password: "b" } }))).rejects.toThrow("no");
    expect(fetch.calls).toHaveLength(1);
  });

  it("turns a dropped connection into a network error", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));

    const failure = (await unwrap(api.GET("/api/v1/project/")).catch((error: unknown) => error)) as ApiError;

    expect(failure.kind).toBe("network");
  });
});
