// Side-by-side metrics of two to four models: a table with the best value per metric
// marked, and a grouped bar chart of the same numbers.
import type { EChartsCoreOption } from "echarts/core";

import { modelMetrics, type TrainedModel } from "./queries";

export const COMPARE_MIN = 2;
export const COMPARE_MAX = 4;

export interface MetricRow {
  metric: string;
  values: (number | null)[];
  best: number | null;
}

export function modelName(model: TrainedModel): string {
  return model.version_tag || `#${model.id}`;
}

/** The metrics any of the models has, sorted, with each model's value (null when absent). */
export function metricRows(models: readonly TrainedModel[]): MetricRow[] {
  const all = models.map(modelMetrics);
  const names = [...new Set(all.flatMap((metrics) => Object.keys(metrics)))].sort();
  return names.map((metric) => {
    const values = all.map((metrics) => metrics[metric] ?? null);
    const present = values.filter((value): value is number => value !== null);
    return { metric, values, best: present.length ? Math.max(...present) : null };
  });
}

/** The ids in `?models=3,5`, each once, at most COMPARE_MAX. */
export function parseModelIds(value: unknown): number[] {
  const text = typeof value === "string" ? value : "";
  const ids = text.split(",").map(Number).filter((id) => Number.isInteger(id) && id > 0);
  return [...new Set(ids)].slice(0, COMPARE_MAX);
}

export function compareOption(models: readonly TrainedModel[]): EChartsCoreOption {
  const rows = metricRows(models);
  return {
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 56, right: 16, top: 40, bottom: 40 },
    xAxis: { type: "category", data: rows.map((row) => row.metric) },
    yAxis: { type: "value" },
    series: models.map((model, index) => ({ name: modelName(model), type: "bar", data: rows.map((row) => row.values[index]) })),
  };
}
