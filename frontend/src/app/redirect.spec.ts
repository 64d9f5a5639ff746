import { describe, expect, it } from "vitest";

import { HOME, safeRedirect } from "./redirect";

describe("safeRedirect", () => {
  it("keeps a path of this SPA with its query and hash", () => {
    expect(safeRedirect("/projects/3/data?page=2#top")).toBe("/projects/3/data?page=2#top");
  });

  it.each([
    ["another site", "//evil.example/x"],
    ["a backslash trick", "/\\evil.example"],
    ["an absolute URL", "https://evil.example/"],
    ["a script URL", "javascript:alert(1)"],
    ["a control character", "/\tevil"],
    ["the sign-in page itself", "/login?redirect=/x"],
    ["no value", undefined],
    ["a repeated parameter", ["/a", "/b"]],
  ])("goes home instead of %s", (_, raw) => {
    expect(safeRedirect(raw)).toBe(HOME);
  });
});
