// Numbers, sizes and dates in the chosen language's conventions.
import { useI18n } from "vue-i18n";

const BYTE_UNITS = ["byte", "kilobyte", "megabyte", "gigabyte", "terabyte"] as const;

export function formatBytes(bytes: number, locale: string): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return new Intl.NumberFormat(locale, {
    style: "unit",
    unit: BYTE_UNITS[unit],
    unitDisplay: unit === 0 ? "long" : "short",
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}

/** Seconds as "h:mm:ss" (or "m:ss" under an hour), the way a stopwatch shows them. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function useFormat() {
  const { locale, d, n } = useI18n();
  return {
    bytes: (value: number | null | undefined) =>
      value === null || value === undefined ? "—" : formatBytes(value, locale.value),
    integer: (value: number | null | undefined) =>
      value === null || value === undefined ? "—" : n(value, "integer"),
    score: (value: number | null | undefined) =>
      value === null || value === undefined ? "—" : n(value, "score"),
    date: (value: string | null | undefined) => (value ? d(new Date(value), "date") : "—"),
    dateTime: (value: string | null | undefined) =>
      value ? d(new Date(value), "dateTime") : "—",
    time: (value: string) => d(new Date(value), "time"),
    duration: (seconds: number | null | undefined) =>
      seconds === null || seconds === undefined ? "—" : formatDuration(seconds),
  };
}
