import { describe, expect, it } from "vitest";

import { type ProjectTraffic, trafficChartOption, trafficTotals } from "./traffic";

const TRAFFIC: ProjectTraffic = {
  dates: ["2026-12-05", "2026-12-06", "2026-12-07"],
  slots: [
    { id: 1, name: "main", is_active: true, impressions: [10, 0, 5], conversions: [1, 0, 2] },
    { id: 2, name: "idle", is_active: false, impressions: [0, 0, 0], conversions: [0, 0, 0] },
    { id: 3, name: "challenger", is_active: true, impressions: [0, 4, 0], conversions: [0, 3, 0] },
  ],
};
const LABELS = { impressions: "Impressions", conversions: "Conversions" };

describe("trafficTotals", () => {
  it("adds up each slot's days and leaves out slots that served nothing", () => {
    expect(trafficTotals(TRAFFIC)).toEqual([
      { id: 1, name: "main", impressions: 15, conversions: 3 },
      { id: 3, name: "challenger", impressions: 4, conversions: 3 },
    ]);
  });
});

describe("trafficChartOption", () => {
  it("draws impressions and conversions of each serving slot in one colour, over the dates", () => {
    const option = trafficChartOption(TRAFFIC, LABELS);
    expect(option.xAxis.data).toEqual(TRAFFIC.dates);
    expect(option.series.map((series) => [series.name, series.yAxisIndex ?? 0, series.data])).toEqual([
      ["main · Impressions", 0, [10, 0, 5]],
      ["main · Conversions", 1, [1, 0, 2]],
      ["challenger · Impressions", 0, [0, 4, 0]],
      ["challenger · Conversions", 1, [0, 3, 0]],
    ]);
    expect(option.series[0]?.color).toBe(option.series[1]?.color);
    expect(option.series[0]?.color).not.toBe(option.series[2]?.color);
  });
});
