// The backend's serving figures as what the Serving page draws: one series per slot over
// the window's minutes, and the charts' options.
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import type { components } from "@/api/schema";

export type ServingFigures = components["schemas"]["ServingFigures"];
type ServingSlot = components["schemas"]["ServingSlot"];

export interface SlotSeries {
  /** Stable per slot; requests straight to a model share the key "direct". */
  key: string;
  name: string;
  slotId: number | null;
  requests: number[];
  /** Per minute; null where the minute had no request. */
  errorRate: (number | null)[];
  p50: (number | null)[];
  p99: (number | null)[];
  totals: ServingSlot["totals"];
  modelIds: number[];
}

export interface ServingSeries {
  /** Each minute's start, in milliseconds (for ECharts' time axis). */
  minutes: number[];
  slots: SlotSeries[];
  hasTraffic: boolean;
  requestsPerMinute: number;
}

export interface SlotNames {
  /** Requests sent to a model directly, without a slot. */
  direct: string;
  /** A slot deleted since its requests were counted. */
  deleted: (slotId: number) => string;
}

export const SERIES_COLORS = ["#2563eb", "#c2410c", "#15803d", "#7c3aed", "#b45309", "#0e7490"] as const;

export function servingSeries(figures: ServingFigures, names: SlotNames): ServingSeries {
  const minutes = (figures.slots[0]?.minutes ?? []).map((minute) => minute.minute * 1000);
  const slots = figures.slots.map((slot) => ({
    key: slot.slot_id === null ? "direct" : `slot-${slot.slot_id}`,
    name: slot.slot_id === null ? names.direct : (slot.slot_name ?? names.deleted(slot.slot_id)),
    slotId: slot.slot_id,
    requests: slot.minutes.map((minute) => minute.requests),
    errorRate: slot.minutes.map((minute) => (minute.requests ? minute.error_rate : null)),
    p50: slot.minutes.map((minute) => minute.p50_ms),
    p99: slot.minutes.map((minute) => minute.p99_ms),
    totals: slot.totals,
    modelIds: slot.model_ids,
  }));
  return {
    minutes,
    slots,
    hasTraffic: figures.totals.requests > 0,
    requestsPerMinute: figures.minutes ? figures.totals.requests / figures.minutes : 0,
  };
}

export function useServingSeries(figures: MaybeRefOrGetter<ServingFigures | undefined>, names: MaybeRefOrGetter<SlotNames>) {
  return computed(() => {
    const value = toValue(figures);
    return value === undefined ? undefined : servingSeries(value, toValue(names));
  });
}

const color = (index: number) => SERIES_COLORS[index % SERIES_COLORS.length];
const points = (minutes: number[], values: (number | null)[]) => minutes.map((minute, index) => [minute, values[index] ?? null]);

function timeChart(series: unknown[], yAxis: object) {
  return {
    grid: { left: 56, right: 16, top: 40, bottom: 32 },
    legend: { top: 0 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "time" },
    yAxis: { type: "value", ...yAxis },
    series,
  };
}

/** Requests per minute, one line per slot. */
export function requestsChartOption(series: ServingSeries) {
  return timeChart(
    series.slots.map((slot, index) => ({
      name: slot.name,
      type: "line",
      showSymbol: false,
      color: color(index),
      data: points(series.minutes, slot.requests),
    })),
    { minInterval: 1 },
  );
}

/** p50 (solid) and p99 (dashed) latency per slot, in milliseconds. */
export function latencyChartOption(series: ServingSeries, labels: { p50: string; p99: string }) {
  return timeChart(
    series.slots.flatMap((slot, index) => [
      { name: `${slot.name} ${labels.p50}`, type: "line", color: color(index), connectNulls: false, data: points(series.minutes, slot.p50) },
      {
        name: `${slot.name} ${labels.p99}`,
        type: "line",
        color: color(index),
        lineStyle: { type: "dashed" },
        connectNulls: false,
        data: points(series.minutes, slot.p99),
      },
    ]),
    { name: "ms" },
  );
}

/** The share of error answers per minute and slot, in percent. */
export function errorRateChartOption(series: ServingSeries) {
  return timeChart(
    series.slots.map((slot, index) => ({
      name: slot.name,
      type: "line",
      color: color(index),
      connectNulls: false,
      data: points(
        series.minutes,
        slot.errorRate.map((rate) => (rate === null ? null : rate * 100)),
      ),
    })),
    { name: "%", min: 0, max: (extent: { max: number }) => Math.max(5, extent.max) },
  );
}
