import { describe, expect, it } from "vitest";

import { type ApiKey, apiKeyState, scopesOf } from "./queries";
import { firstRequest } from "./usage";

const NOW = Date.parse("2026-06-01T00:00:00Z");

function key(fields: Partial<ApiKey>): ApiKey {
  return {
    id: 1,
    name: "web",
    project: 3,
    key_prefix: "rk_ab",
    scopes: ["predict"],
    is_active: true,
    expires_at: null,
    last_used_at: null,
    revoked_at: null,
    ins_datetime: "2026-01-01T00:00:00Z",
    ...fields,
  };
}

describe("apiKeyState", () => {
  it("is active until it is revoked or expires", () => {
    expect(apiKeyState(key({}), NOW)).toBe("active");
    expect(apiKeyState(key({ expires_at: "2026-06-02T00:00:00Z" }), NOW)).toBe("active");
    expect(apiKeyState(key({ expires_at: "2026-05-31T00:00:00Z" }), NOW)).toBe("expired");
    expect(apiKeyState(key({ revoked_at: "2026-05-01T00:00:00Z", is_active: false }), NOW)).toBe("revoked");
  });
});

describe("scopesOf", () => {
  it("reads the scope names and nothing else", () => {
    expect(scopesOf(key({ scopes: ["read", "predict"] }))).toEqual(["read", "predict"]);
    expect(scopesOf(key({ scopes: null }))).toEqual([]);
  });
});

describe("firstRequest", () => {
  it("asks the project's slots for recommendations with a predict key", () => {
    const command = firstRequest("rk_secret", 3, ["predict"], "http://h");
    expect(command).toContain("curl -X POST 'http://h/inference/predict/project/3'");
    expect(command).toContain("-H 'X-API-Key: rk_secret'");
  });

  it("reads the management API with a key that cannot predict", () => {
    expect(firstRequest("rk_secret", 3, ["read"], "http://h")).toContain("curl -X GET 'http://h/api/v1/deployment_slot/?project=3'");
  });
});
