import { createI18n, type LocaleMessageValue, type VueMessageType } from "vue-i18n";

import { mergeFeatureMessages, type Locale, type Messages } from "./messages";

const files = import.meta.glob<Messages>("../features/*/{en,ja}.json", {
  eager: true,
  import: "default",
});

const dateTimeFormat = {
  date: { year: "numeric", month: "short", day: "numeric" },
  dateTime: {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  },
  time: { hour: "2-digit", minute: "2-digit", second: "2-digit" },
} as const;

const numberFormat = {
  integer: { maximumFractionDigits: 0 },
  decimal: { maximumFractionDigits: 2 },
  // Ranking metrics (nDCG, MAP…) sit in [0, 1]: four places tell close trials apart.
  score: { minimumFractionDigits: 4, maximumFractionDigits: 4 },
  percent: { style: "percent", maximumFractionDigits: 1 },
  // Conversion rates are often a few percent: two places show a tenth of a point's change.
  rate: { style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2 },
  significant: { maximumSignificantDigits: 3 },
} as const;

export const i18n = createI18n({
  legacy: false,
  locale: "en" satisfies Locale,
  fallbackLocale: "en",
  messages: mergeFeatureMessages(files) as Record<Locale, Record<string, LocaleMessageValue<VueMessageType>>>,
  datetimeFormats: { en: dateTimeFormat, ja: dateTimeFormat },
  numberFormats: { en: numberFormat, ja: numberFormat },
  missingWarn: import.meta.env.DEV,
  fallbackWarn: import.meta.env.DEV,
});
