import { describe, expect, it } from "vitest";

import { compareOption, metricRows, parseModelIds } from "./compare";
import { modelMetrics, type TrainedModel } from "./queries";

function model(id: number, metrics: unknown): TrainedModel {
  return { id, version_tag: `v${id}`, metrics_json: metrics } as TrainedModel;
}

describe("model comparison", () => {
  it("lines up every metric any model has and marks the best", () => {
    const rows = metricRows([model(1, { "ndcg@10": 0.2, "map@10": 0.1 }), model(2, { "ndcg@10": 0.3 })]);
    expect(rows).toEqual([
      { metric: "map@10", values: [0.1, null], best: 0.1 },
      { metric: "ndcg@10", values: [0.2, 0.3], best: 0.3 },
    ]);
    const series = compareOption([model(1, { a: 1 }), model(2, { a: 2 })]).series as { name: string; data: number[] }[];
    expect(series.map((s) => [s.name, s.data])).toEqual([["v1", [1]], ["v2", [2]]]);
  });

  it("reads the chosen models from the URL, each once and at most four", () => {
    expect(parseModelIds("3,5,3,x,-1,7,8,9")).toEqual([3, 5, 7, 8]);
    expect(parseModelIds(undefined)).toEqual([]);
  });

  it("ignores what is not a number in a model's metrics", () => {
    expect(modelMetrics(model(1, { "ndcg@10": 0.5, note: "x" }))).toEqual({ "ndcg@10": 0.5 });
    expect(modelMetrics(model(1, null))).toEqual({});
  });
});
