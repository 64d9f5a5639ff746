// The design tokens: every colour the SPA shows comes from this preset, in both schemes.
import { definePreset } from "@primeuix/themes";
import type { ExtendedCSS } from "@primeuix/themes/types";
import badge from "@primeuix/themes/aura/badge";
import base from "@primeuix/themes/aura/base";
import breadcrumb from "@primeuix/themes/aura/breadcrumb";
import button from "@primeuix/themes/aura/button";
import checkbox from "@primeuix/themes/aura/checkbox";
import chip from "@primeuix/themes/aura/chip";
import css from "@primeuix/themes/aura/css";
import datepicker from "@primeuix/themes/aura/datepicker";
import dialog from "@primeuix/themes/aura/dialog";
import drawer from "@primeuix/themes/aura/drawer";
import iconfield from "@primeuix/themes/aura/iconfield";
import inputnumber from "@primeuix/themes/aura/inputnumber";
import inputtext from "@primeuix/themes/aura/inputtext";
import menu from "@primeuix/themes/aura/menu";
import message from "@primeuix/themes/aura/message";
import multiselect from "@primeuix/themes/aura/multiselect";
import paginator from "@primeuix/themes/aura/paginator";
import progressbar from "@primeuix/themes/aura/progressbar";
import radiobutton from "@primeuix/themes/aura/radiobutton";
import ripple from "@primeuix/themes/aura/ripple";
import select from "@primeuix/themes/aura/select";
import selectbutton from "@primeuix/themes/aura/selectbutton";
import tag from "@primeuix/themes/aura/tag";
import togglebutton from "@primeuix/themes/aura/togglebutton";
import toggleswitch from "@primeuix/themes/aura/toggleswitch";
import virtualscroller from "@primeuix/themes/aura/virtualscroller";
import { markRaw } from "vue";

export const DARK_CLASS = "app-dark";

// Aura as "@primeuix/themes/aura" builds it, but with the tokens of the components the SPA
// draws (and those they draw inside them) only: the whole set is half the sign-in page's
// script. theme.spec.ts fails when a page starts using a component that is missing here.
export const AURA_COMPONENTS = {
  badge,
  breadcrumb,
  button,
  checkbox,
  chip,
  datepicker,
  dialog,
  drawer,
  iconfield,
  inputnumber,
  inputtext,
  menu,
  message,
  multiselect,
  paginator,
  progressbar,
  radiobutton,
  ripple,
  select,
  selectbutton,
  tag,
  togglebutton,
  toggleswitch,
  virtualscroller,
};
// aura/css declares a named `css` export, but the module has only its default one.
const Aura = { ...base, components: AURA_COMPONENTS, css: css as unknown as ExtendedCSS };

// Aura's light buttons put white on the 500 shade (about 3.7:1 for red) and 500 text on
// white; the 700 shade passes AA for both.
function accessibleButton(colour: string) {
  return {
    root: {
      background: `{${colour}.700}`,
      hoverBackground: `{${colour}.800}`,
      activeBackground: `{${colour}.900}`,
      borderColor: `{${colour}.700}`,
      hoverBorderColor: `{${colour}.800}`,
      activeBorderColor: `{${colour}.900}`,
      color: "#ffffff",
      hoverColor: "#ffffff",
      activeColor: "#ffffff",
      focusRing: { color: `{${colour}.700}`, shadow: "none" },
    },
    outlined: { color: `{${colour}.700}`, borderColor: `{${colour}.300}` },
    text: { color: `{${colour}.700}` },
  };
}

const SEVERITIES = { success: "green", info: "sky", warn: "orange", help: "purple", danger: "red" };

function lightButtons() {
  const scheme = { root: {}, outlined: {}, text: {} } as Record<"root" | "outlined" | "text", Record<string, object>>;
  for (const [severity, colour] of Object.entries(SEVERITIES)) {
    const tokens = accessibleButton(colour);
    scheme.root[severity] = tokens.root;
    scheme.outlined[severity] = tokens.outlined;
    scheme.text[severity] = tokens.text;
  }
  return scheme;
}

// Teal 700 on white and teal 300 on near-black both pass WCAG AA for normal text.
export const RecotemPreset = definePreset(Aura, {
  components: {
    button: { colorScheme: { light: lightButtons() } },
    // Aura's light warning text (yellow 600 on yellow 50) is about 2.8:1; yellow 800 passes AA.
    message: {
      colorScheme: {
        light: { warn: { color: "{yellow.800}", outlined: { color: "{yellow.800}" }, simple: { color: "{yellow.800}" } } },
      },
    },
    // Aura's unselected options (surface 500 on 100, 400 on 950) fall short of 4.5:1.
    togglebutton: {
      colorScheme: {
        light: { root: { color: "{surface.600}" }, icon: { color: "{surface.600}" } },
        dark: { root: { color: "{surface.300}" }, icon: { color: "{surface.300}" } },
      },
    },
  },
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

// Raw: PrimeVue deep-watches its configuration, and walking every token of the preset on
// each start cost more than anything else it does then. The theme never changes at run
// time (dark mode is a class on the document).
export const themeOptions = markRaw({
  preset: RecotemPreset,
  options: {
    darkModeSelector: `.${DARK_CLASS}`,
    cssLayer: { name: "primevue", order: "theme, base, primevue" },
  },
});
