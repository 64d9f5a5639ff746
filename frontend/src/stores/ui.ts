// Choices of this browser that are not server data: language and colour theme.
import { defineStore } from "pinia";
import { ref, watch } from "vue";

import { isLocale, LOCALES, type Locale } from "@/app/messages";

export const THEMES = ["light", "dark", "system"] as const;
export type Theme = (typeof THEMES)[number];

const LOCALE_KEY = "recotem.locale";
const THEME_KEY = "recotem.theme";

function initialLocale(): Locale {
  const stored = localStorage.getItem(LOCALE_KEY);
  if (isLocale(stored)) return stored;
  const preferred = navigator.languages.map((tag) => tag.slice(0, 2));
  return preferred.find(isLocale) ?? LOCALES[0];
}

function initialTheme(): Theme {
  const stored = localStorage.getItem(THEME_KEY);
  return THEMES.find((theme) => theme === stored) ?? "system";
}

export const useUiStore = defineStore("ui", () => {
  const locale = ref<Locale>(initialLocale());
  const theme = ref<Theme>(initialTheme());
  const sidebarOpen = ref(false);

  watch(locale, (value) => localStorage.setItem(LOCALE_KEY, value));
  watch(theme, (value) => localStorage.setItem(THEME_KEY, value));

  return { locale, theme, sidebarOpen };
});
