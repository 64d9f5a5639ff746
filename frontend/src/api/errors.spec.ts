import { describe, expect, it } from "vitest";

import { errorFromResponse, networkError, parseRetryAfter } from "./errors";

describe("errorFromResponse", () => {
  it("reads the envelope's code, message and field messages", () => {
    const error = errorFromResponse(
      400,
      { error: { code: "validation_error", message: "name: taken", fields: { name: ["taken"], cutoff: "too big" } } },
      null,
    );

    expect(error.kind).toBe("http");
    expect(error.code).toBe("validation_error");
    expect(error.message).toBe("name: taken");
    expect(error.fieldMessage("name")).toBe("taken");
    expect(error.fields.cutoff).toEqual(["too big"]);
  });

  it("moves field messages under a prefix, keeping the rest", () => {
    const error = errorFromResponse(400, { error: { code: "validation_error", message: "bad", fields: { cutoff: ["too big"] } } }, null);
    const prefixed = error.withFieldPrefix("evaluation");
    expect(prefixed.fieldMessage("evaluation.cutoff")).toBe("too big");
    expect(prefixed.fieldMessage("cutoff")).toBeUndefined();
    expect([prefixed.code, prefixed.message, prefixed.status]).toEqual(["validation_error", "bad", 400]);
  });

  it("keeps nested field errors readable", () => {
    const error = errorFromResponse(400, { error: { code: "validation_error", message: "m", fields: { split: [{ ratio: ["bad"] }] } } }, null);

    expect(error.fieldMessage("split")).toBe('{"ratio":["bad"]}');
  });

  it("names the status when a proxy answered with a page of its own", () => {
    const error = errorFromResponse(502, "<html>Bad Gateway</html>", null);

    expect(error.code).toBe("http_502");
    expect(error.status).toBe(502);
  });

  it("carries how long to wait from Retry-After", () => {
    expect(errorFromResponse(429, { error: { code: "throttled", message: "slow down" } }, "12").retryAfter).toBe(12);
  });
});

describe("parseRetryAfter", () => {
  it("takes seconds or an HTTP date", () => {
    expect(parseRetryAfter("3.2")).toBe(4);
    expect(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThanOrEqual(9);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
  });
});

describe("networkError", () => {
  it("tells a cancelled request from a failed one", () => {
    expect(networkError(new DOMException("x", "AbortError")).kind).toBe("aborted");
    expect(networkError(new TypeError("Failed to fetch")).kind).toBe("network");
  });
});
