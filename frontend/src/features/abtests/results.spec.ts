import { describe, expect, it } from "vitest";

import { cumulativeChartOption, type DailyCounts, normalQuantile, rateChartOption, wilsonInterval } from "./results";

function day(date: string, control: [number, number], variant: [number, number]): DailyCounts {
  return {
    date,
    control_impressions: control[0],
    control_conversions: control[1],
    control_rate: control[0] ? control[1] / control[0] : 0,
    control_cumulative_impressions: control[0],
    control_cumulative_conversions: control[1],
    control_cumulative_rate: 0,
    variant_impressions: variant[0],
    variant_conversions: variant[1],
    variant_rate: variant[0] ? variant[1] / variant[0] : 0,
    variant_cumulative_impressions: variant[0],
    variant_cumulative_conversions: variant[1],
    variant_cumulative_rate: 0,
  };
}

describe("normalQuantile", () => {
  it("gives the familiar critical values", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
  });

  it("refuses what is not a probability", () => {
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});

describe("wilsonInterval", () => {
  it("matches the textbook interval", () => {
    // 10 of 100 at 95 %: [0.0552, 0.1744].
    const [low, high] = wilsonInterval(10, 100, 0.95) ?? [NaN, NaN];
    expect(low).toBeCloseTo(0.0552, 4);
    expect(high).toBeCloseTo(0.1744, 4);
  });

  it("stays within [0, 1] at the edges and is absent without impressions", () => {
    const [low, high] = wilsonInterval(0, 20, 0.95) ?? [NaN, NaN];
    expect(low).toBe(0);
    expect(high).toBeGreaterThan(0);
    expect(wilsonInterval(0, 0, 0.95)).toBeNull();
  });
});

describe("chart options", () => {
  const series = [day("2026-01-01", [100, 10], [0, 0]), day("2026-01-02", [50, 5], [40, 8])];
  const names = { control: "A", variant: "B" };

  it("draw each arm's rate, with no point on a day the arm had no impression", () => {
    const option = rateChartOption(series, 0.95, names, String);
    const variant = option.series.find((s) => s.name === "B");
    expect(variant?.data).toEqual([null, 0.2]);
    const band = option.series.find((s) => s.name === "control-band");
    expect(band?.data[0]).toBeCloseTo(0.1744 - 0.0552, 3);
  });

  it("put conversions on their own axis", () => {
    const option = cumulativeChartOption(series, names, { impressions: "Impressions", conversions: "Conversions" });
    expect(option.series.map((s) => [s.name, s.yAxisIndex ?? 0])).toEqual([
      ["A · Impressions", 0],
      ["A · Conversions", 1],
      ["B · Impressions", 0],
      ["B · Conversions", 1],
    ]);
  });
});
