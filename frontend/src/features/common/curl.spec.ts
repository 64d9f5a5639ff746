import { describe, expect, it } from "vitest";

import { curlCommand, projectPredictUrl } from "./curl";

describe("curlCommand", () => {
  it("sends JSON bodies with their content type, one option a line", () => {
    const command = curlCommand({
      method: "POST",
      url: projectPredictUrl(7, "http://localhost:8000"),
      headers: { "X-API-Key": "rk_abc" },
      body: { user_id: "u1" },
    });
    expect(command).toBe(
      [
        "curl -X POST 'http://localhost:8000/inference/predict/project/7'",
        "-H 'X-API-Key: rk_abc'",
        "-H 'Content-Type: application/json'",
        `-d '{"user_id":"u1"}'`,
      ].join(" \\\n  "),
    );
  });

  it("keeps single quotes inside values from ending the shell word", () => {
    const command = curlCommand({ method: "POST", url: "http://h/x", body: { user_id: "o'brien" } });
    expect(command).toContain(`-d '{"user_id":"o'\\''brien"}'`);
  });
});
