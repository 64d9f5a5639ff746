// The design tokens: every colour the SPA shows comes from this preset, in both schemes.
import { definePreset } from "@primeuix/themes";
import Aura from "@primeuix/themes/aura";

export const DARK_CLASS = "app-dark";

// Teal 700 on white and teal 300 on near-black both pass WCAG AA for normal text.
export const RecotemPreset = definePreset(Aura, {
  semantic: {
    primary: {
      50: "{teal.50}",
      100: "{teal.100}",
      200: "{teal.200}",
      300: "{teal.300}",
      400: "{teal.400}",
      500: "{teal.500}",
      600: "{teal.600}",
      700: "{teal.700}",
      800: "{teal.800}",
      900: "{teal.900}",
      950: "{teal.950}",
    },
    colorScheme: {
      light: {
        primary: {
          color: "{teal.700}",
          contrastColor: "#ffffff",
          hoverColor: "{teal.800}",
          activeColor: "{teal.900}",
        },
        highlight: {
          background: "{teal.50}",
          focusBackground: "{teal.100}",
          color: "{teal.800}",
          focusColor: "{teal.900}",
        },
        text: {
          mutedColor: "{surface.600}",
        },
      },
      dark: {
        primary: {
          color: "{teal.300}",
          contrastColor: "{surface.950}",
          hoverColor: "{teal.200}",
          activeColor: "{teal.100}",
        },
        highlight: {
          background: "color-mix(in srgb, {teal.300}, transparent 84%)",
          focusBackground: "color-mix(in srgb, {teal.300}, transparent 76%)",
          color: "{teal.100}",
          focusColor: "{teal.50}",
        },
        text: {
          mutedColor: "{surface.300}",
        },
      },
    },
  },
});

export const themeOptions = {
  preset: RecotemPreset,
  options: {
    darkModeSelector: `.${DARK_CLASS}`,
    cssLayer: { name: "primevue", order: "theme, base, primevue" },
  },
};
