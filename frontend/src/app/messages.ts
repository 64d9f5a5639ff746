// Each feature keeps its own en.json and ja.json under one top-level key, its folder's
// name, so features are translated side by side without touching each other's files.

export const LOCALES = ["en", "ja"] as const;
export type Locale = (typeof LOCALES)[number];
/** Each language named in itself, so a person who cannot read the current one finds theirs.
 * Written out: asking Intl.DisplayNames loads locale data, which slows every page's start. */
export const LANGUAGE_NAMES: Record<Locale, string> = { en: "English", ja: "日本語" };
export type Messages = Record<string, unknown>;

const FILE = /\/features\/([^/]+)\/(en|ja)\.json$/;

export function mergeFeatureMessages(files: Record<string, Messages>): Record<Locale, Messages> {
  const merged: Record<Locale, Messages> = { en: {}, ja: {} };
  for (const [path, content] of Object.entries(files)) {
    const match = FILE.exec(path);
    if (match === null) throw new Error(`${path} is not a feature's en.json or ja.json`);
    const [, feature, locale] = match as unknown as [string, string, Locale];
    const keys = Object.keys(content);
    if (keys.length !== 1 || keys[0] !== feature) {
      throw new Error(`${path} must hold exactly one top-level key, "${feature}"`);
    }
    merged[locale][feature] = content[feature];
  }
  return merged;
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}
