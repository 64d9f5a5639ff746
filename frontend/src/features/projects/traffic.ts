// The dashboard's daily traffic: impressions and conversions per slot over the last 30
// days, as one chart (impressions solid on the left axis, conversions dashed on the right)
// and as totals a screen reader can read.
import type { components } from "@/api/schema";
import { ARM_COLORS } from "@/features/slots/traffic";

export type ProjectTraffic = components["schemas"]["ProjectTraffic"];
export type SlotTraffic = components["schemas"]["SlotTraffic"];

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/** Each slot's 30-day totals; slots that never served anything in the window are left out. */
export function trafficTotals(traffic: ProjectTraffic) {
  return traffic.slots
    .map((slot) => ({ id: slot.id, name: slot.name, impressions: sum(slot.impressions), conversions: sum(slot.conversions) }))
    .filter((slot) => slot.impressions > 0 || slot.conversions > 0);
}

export function trafficChartOption(traffic: ProjectTraffic, labels: { impressions: string; conversions: string }) {
  const shown = new Set(trafficTotals(traffic).map((slot) => slot.id));
  const slots = traffic.slots.filter((slot) => shown.has(slot.id));
  return {
    tooltip: { trigger: "axis" },
    legend: {},
    grid: { left: 64, right: 64, top: 48, bottom: 32 },
    xAxis: { type: "category", data: traffic.dates },
    yAxis: [
      { type: "value", name: labels.impressions, minInterval: 1 },
      { type: "value", name: labels.conversions, minInterval: 1, splitLine: { show: false } },
    ],
    series: slots.flatMap((slot, index) => {
      const color = ARM_COLORS[index % ARM_COLORS.length];
      return [
        { type: "line", name: `${slot.name} · ${labels.impressions}`, color, showSymbol: false, data: slot.impressions },
        {
          type: "line",
          name: `${slot.name} · ${labels.conversions}`,
          color,
          yAxisIndex: 1,
          showSymbol: false,
          lineStyle: { type: "dashed" },
          data: slot.conversions,
        },
      ];
    }),
  };
}
