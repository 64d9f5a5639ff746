import { describe, expect, it } from "vitest";
import { ref } from "vue";

import { errorRateChartOption, requestsChartOption, type ServingFigures, servingSeries, useServingSeries } from "./useServingSeries";

const NAMES = { direct: "Direct", deleted: (id: number) => `Deleted #${id}` };
const tally = (requests: number, errors: number, p50: number | null, p99: number | null) => ({
  requests,
  successes: requests - errors,
  errors,
  error_rate: requests ? errors / requests : 0,
  p50_ms: p50,
  p99_ms: p99,
});
const totals = (requests: number, errors: number) => ({ ...tally(requests, errors, 2, 9), statuses: {}, error_codes: {} });

function figures(): ServingFigures {
  return {
    project_id: 3,
    minutes: 3,
    since: 6000,
    until: 6180,
    uptime_seconds: 120,
    instances: 2,
    totals: totals(9, 1),
    models: [],
    slots: [
      {
        slot_id: null,
        slot_name: null,
        model_ids: [5],
        totals: totals(2, 1),
        minutes: [
          { minute: 6000, ...tally(0, 0, null, null) },
          { minute: 6060, ...tally(2, 1, 1.5, 4) },
          { minute: 6120, ...tally(0, 0, null, null) },
        ],
      },
      {
        slot_id: 7,
        slot_name: "production",
        model_ids: [5],
        totals: totals(6, 0),
        minutes: [
          { minute: 6000, ...tally(1, 0, 2, 2) },
          { minute: 6060, ...tally(2, 0, 3, 5) },
          { minute: 6120, ...tally(3, 0, 2.5, 8) },
        ],
      },
      { slot_id: 8, slot_name: null, model_ids: [], totals: totals(1, 0), minutes: [6000, 6060, 6120].map((minute) => ({ minute, ...tally(minute === 6120 ? 1 : 0, 0, null, null) })) },
    ],
  };
}

describe("servingSeries", () => {
  it("gives each slot its name and one value per minute, with gaps where nothing was asked", () => {
    const series = servingSeries(figures(), NAMES);

    expect(series.minutes).toEqual([6_000_000, 6_060_000, 6_120_000]);
    expect(series.slots.map((slot) => [slot.key, slot.name])).toEqual([
      ["direct", "Direct"],
      ["slot-7", "production"],
      ["slot-8", "Deleted #8"],
    ]);
    expect(series.slots[1]?.requests).toEqual([1, 2, 3]);
    expect(series.slots[0]?.errorRate).toEqual([null, 0.5, null]);
    expect(series.slots[0]?.p99).toEqual([null, 4, null]);
    expect(series.requestsPerMinute).toBe(3);
    expect(series.hasTraffic).toBe(true);
  });

  it("draws one line per slot on a time axis, error rates in percent", () => {
    const series = servingSeries(figures(), NAMES);

    const requests = requestsChartOption(series);
    const errors = errorRateChartOption(series);

    expect(requests.series).toHaveLength(3);
    expect(requests.series[1]).toMatchObject({ name: "production", data: [[6_000_000, 1], [6_060_000, 2], [6_120_000, 3]] });
    expect(errors.series[0]).toMatchObject({ data: [[6_000_000, null], [6_060_000, 50], [6_120_000, null]] });
  });

  it("follows the answer as it refreshes, and is undefined before the first", () => {
    const answer = ref<ServingFigures | undefined>(undefined);
    const series = useServingSeries(answer, NAMES);
    expect(series.value).toBeUndefined();

    answer.value = { ...figures(), totals: totals(0, 0), slots: [] };

    expect(series.value?.hasTraffic).toBe(false);
    expect(series.value?.slots).toEqual([]);
  });
});
