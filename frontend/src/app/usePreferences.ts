// Applies the chosen language and theme to the document, vue-i18n and PrimeVue's own texts.
import en from "primelocale/en.json";
import ja from "primelocale/ja.json";
import { usePrimeVue } from "primevue/config";
import { onScopeDispose, ref, watchEffect } from "vue";
import { useI18n } from "vue-i18n";

import { useUiStore } from "@/stores/ui";

import type { Locale } from "./messages";
import { DARK_CLASS } from "./theme";

type PrimeLocale = ReturnType<typeof usePrimeVue>["config"]["locale"];
const PRIME_LOCALES = { en: en.en, ja: ja.ja } as unknown as Record<Locale, PrimeLocale>;

export function usePreferences(): void {
  const ui = useUiStore();
  const { locale } = useI18n({ useScope: "global" });
  const primevue = usePrimeVue();

  const media = window.matchMedia("(prefers-color-scheme: dark)");
  const systemDark = ref(media.matches);
  const follow = (event: MediaQueryListEvent) => {
    systemDark.value = event.matches;
  };
  media.addEventListener("change", follow);
  onScopeDispose(() => media.removeEventListener("change", follow));

  watchEffect(() => {
    const dark = ui.theme === "dark" || (ui.theme === "system" && systemDark.value);
    document.documentElement.classList.toggle(DARK_CLASS, dark);
    document.documentElement.style.colorScheme = dark ? "dark" : "light";
  });
  watchEffect(() => {
    locale.value = ui.locale;
    document.documentElement.lang = ui.locale;
    primevue.config.locale = PRIME_LOCALES[ui.locale];
  });
}
