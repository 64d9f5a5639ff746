import { describe, expect, it } from "vitest";

import { trafficArms } from "./traffic";
import { tryCurl } from "./tryIt";

describe("trafficArms", () => {
  it("lists the slots that receive traffic, largest share first", () => {
    const arms = trafficArms([
      { id: 1, name: "b", weight: 30, traffic_share: 0.3, trained_model: 5 },
      { id: 2, name: "a", weight: 70, traffic_share: 0.7, trained_model: 6 },
      { id: 3, name: "idle", weight: 50, traffic_share: 0, trained_model: 7 },
    ]);
    expect(arms.map((arm) => [arm.name, arm.share])).toEqual([
      ["a", 0.7],
      ["b", 0.3],
    ]);
  });
});

describe("tryCurl", () => {
  it("shows the request without the pasted key", () => {
    const command = tryCurl({ projectId: 4, apiKey: "rk_secret", userId: "42", cutoff: 5 });
    expect(command).not.toContain("rk_secret");
    expect(command).toContain("X-API-Key: YOUR_PREDICT_KEY");
    expect(command).toContain(`/inference/predict/project/4'`);
    expect(command).toContain(`-d '{"user_id":"42","cutoff":5}'`);
  });
});
