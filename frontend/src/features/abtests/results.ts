// The results and daily series the API computes, typed, and what the charts draw from them.

export interface AbTestResults {
  status: string;
  control_slot: number;
  variant_slot: number;
  control_impressions: number;
  control_conversions: number;
  control_rate: number;
  variant_impressions: number;
  variant_conversions: number;
  variant_rate: number;
  control_unattributed_conversions: number;
  variant_unattributed_conversions: number;
  /** Relative lift of the variant over the control, in percent. */
  lift: number;
  relative_lift: number | null;
  /** Variant rate minus control rate. */
  difference: number;
  z_score: number;
  p_value: number;
  confidence_level: number;
  /** Of the difference. */
  confidence_interval: [number, number];
  significant: boolean;
  min_sample_size: number;
  sufficient_data: boolean;
  sufficient_data_per_arm: boolean;
  conclusive: boolean;
  sequential_p_value: number;
  sequential_significant: boolean;
}

export const ARMS = ["control", "variant"] as const;
export type Arm = (typeof ARMS)[number];

export type DailyCounts = { date: string } & {
  [K in `${Arm}_${"impressions" | "conversions" | "cumulative_impressions" | "cumulative_conversions"}`]: number;
} & { [K in `${Arm}_${"rate" | "cumulative_rate"}`]: number };

/** The standard normal quantile (Acklam's approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`${p} is not a probability strictly between 0 and 1`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239] as const;
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1] as const;
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783] as const;
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const;
  const low = 0.02425;
  const tail = (q: number) =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < low) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** The Wilson interval of a rate: sound for small counts and rates near 0, unlike rate ± z·se. */
export function wilsonInterval(conversions: number, impressions: number, confidence: number): [number, number] | null {
  if (impressions === 0) return null;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = conversions / impressions;
  const z2n = (z * z) / impressions;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / impressions + z2n / (4 * impressions))) / (1 + z2n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface ArmNames {
  control: string;
  variant: string;
}

export const ARM_COLORS: Record<Arm, string> = { control: "#2563eb", variant: "#c2410c" };

/** Daily conversion rate per arm with its confidence band (a stacked, transparent-based area). */
export function rateChartOption(series: readonly DailyCounts[], confidence: number, names: ArmNames, percent: (value: number) => string) {
  const dates = series.map((row) => row.date);
  const lines = ARMS.flatMap((arm) => {
    const bands = series.map((row) => wilsonInterval(row[`${arm}_conversions`], row[`${arm}_impressions`], confidence));
    const stack = `band-${arm}`;
    const hidden = { type: "line", stack, symbol: "none", lineStyle: { opacity: 0 }, silent: true, tooltip: { show: false } };
    return [
      { ...hidden, name: `${arm}-low`, data: bands.map((band) => band?.[0] ?? null) },
      { ...hidden, name: `${arm}-band`, areaStyle: { color: ARM_COLORS[arm], opacity: 0.15 }, data: bands.map((band) => (band ? band[1] - band[0] : null)) },
      {
        type: "line",
        name: names[arm],
        color: ARM_COLORS[arm],
        showSymbol: series.length < 40,
        data: series.map((row) => (row[`${arm}_impressions`] ? row[`${arm}_rate`] : null)),
      },
    ];
  });
  return {
    tooltip: { trigger: "axis", valueFormatter: (value: unknown) => (typeof value === "number" ? percent(value) : "—") },
    legend: { data: [names.control, names.variant] },
    grid: { left: 56, right: 16, top: 40, bottom: 32 },
    xAxis: { type: "category", data: dates, boundaryGap: false },
    yAxis: { type: "value", min: 0, axisLabel: { formatter: percent } },
    series: lines,
  };
}

/** Cumulative impressions (left axis) and conversions (right axis) per arm. */
export function cumulativeChartOption(series: readonly DailyCounts[], names: ArmNames, labels: { impressions: string; conversions: string }) {
  const dates = series.map((row) => row.date);
  return {
    tooltip: { trigger: "axis" },
    legend: {},
    grid: { left: 64, right: 64, top: 40, bottom: 32 },
    xAxis: { type: "category", data: dates },
    yAxis: [
      { type: "value", name: labels.impressions, minInterval: 1 },
      { type: "value", name: labels.conversions, minInterval: 1, splitLine: { show: false } },
    ],
    series: ARMS.flatMap((arm) => [
      {
        type: "line",
        name: `${names[arm]} · ${labels.impressions}`,
        color: ARM_COLORS[arm],
        showSymbol: false,
        data: series.map((row) => row[`${arm}_cumulative_impressions`]),
      },
      {
        type: "line",
        name: `${names[arm]} · ${labels.conversions}`,
        color: ARM_COLORS[arm],
        yAxisIndex: 1,
        showSymbol: false,
        lineStyle: { type: "dashed" },
        data: series.map((row) => row[`${arm}_cumulative_conversions`]),
      },
    ]),
  };
}
