// Chart options for a tuning job: Optuna-style optimisation history (every scored trial,
// coloured by algorithm, with the best score so far) and the best score each algorithm got.
// Both charts list algorithms in the same order, so an algorithm has one colour on the page.
import type { EChartsCoreOption } from "echarts/core";

import type { Trial } from "./queries";

export interface ChartLabels {
  trial: string;
  score: string;
  bestSoFar: string;
}

type Scored = Trial & { score: number };

function scored(trials: readonly Trial[]): Scored[] {
  return trials.filter((trial): trial is Scored => typeof trial.score === "number");
}

export function algorithmsOf(trials: readonly Trial[]): string[] {
  return [...new Set(scored(trials).map((trial) => trial.algorithm))].sort();
}

/** [trial number, best score up to and including it] for each scored trial, in order. */
export function bestSoFar(trials: readonly Trial[]): [number, number][] {
  let best = Number.NEGATIVE_INFINITY;
  return scored(trials)
    .sort((a, b) => a.number - b.number)
    .map((trial) => {
      best = Math.max(best, trial.score);
      return [trial.number, best];
    });
}

export function historyOption(trials: readonly Trial[], labels: ChartLabels): EChartsCoreOption {
  const points = scored(trials);
  return {
    aria: { enabled: true },
    animation: false,
    tooltip: { trigger: "item" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 56, right: 16, top: 40, bottom: 40 },
    xAxis: { type: "value", name: labels.trial, nameLocation: "middle", nameGap: 26, minInterval: 1 },
    yAxis: { type: "value", name: labels.score, scale: true },
    series: [
      ...algorithmsOf(trials).map((algorithm) => ({
        name: algorithm,
        type: "scatter",
        symbolSize: 9,
        data: points.filter((trial) => trial.algorithm === algorithm).map((trial) => [trial.number, trial.score]),
      })),
      {
        name: labels.bestSoFar,
        type: "line",
        step: "end",
        showSymbol: false,
        color: "#64748b",
        data: bestSoFar(trials),
      },
    ],
  };
}

export function algorithmOption(trials: readonly Trial[], labels: Pick<ChartLabels, "score">): EChartsCoreOption {
  const algorithms = algorithmsOf(trials);
  const points = scored(trials);
  const best = algorithms.map((algorithm) =>
    Math.max(...points.filter((trial) => trial.algorithm === algorithm).map((trial) => trial.score)),
  );
  return {
    aria: { enabled: true },
    animation: false,
    tooltip: { trigger: "axis" },
    grid: { left: 56, right: 16, top: 24, bottom: 40 },
    xAxis: { type: "category", data: algorithms },
    yAxis: { type: "value", name: labels.score, scale: true },
    series: [{ type: "bar", colorBy: "data", data: best, name: labels.score }],
  };
}
