// @ts-check
import js from "@eslint/js";
import vueI18n from "@intlify/eslint-plugin-vue-i18n";
import pluginVue from "eslint-plugin-vue";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["dist/", "node_modules/", "test-results/", "playwright-report/", "src/api/schema.d.ts"],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  ...pluginVue.configs["flat/recommended"],
  // Layout is left to the author; these rules are about meaning.
  pluginVue.configs["no-layout-rules"],
  ...vueI18n.configs["flat/recommended"],
  {
    files: ["**/*.vue"],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    settings: {
      "vue-i18n": {
        localeDir: { pattern: "./src/features/*/{en,ja}.json", localeKey: "file" },
        messageSyntaxVersion: "^11.0.0",
      },
    },
    rules: {
      "vue/multi-word-component-names": ["error", { ignores: ["App"] }],
      "vue/require-default-prop": "off",
      "@intlify/vue-i18n/no-raw-text": [
        "error",
        // Separators and typographic marks carry no words to translate.
        { ignorePattern: "^[\\s·—–|:()%/.,-]+$" },
      ],
      "@intlify/vue-i18n/no-missing-keys": "error",
      "@intlify/vue-i18n/no-unused-keys": [
        "error",
        {
          extensions: [".ts", ".vue"],
          // Keys picked by a value at run time (an enum member): src/app/messages.spec.ts
          // checks that each member has its message in both languages.
          ignores: [
            "/^data\\.status\\./",
            "/^data\\.detail\\.statusHelp\\./",
            "/^data\\.fields\\./",
            "/^tuning\\.(status|fields|scheme|metric)\\./",
            "/^models\\.fields\\./",
            "/^models\\.detail\\.statusHelp\\./",
            "/^models\\.preview\\.mode\\./",
            "/^projects\\.(counts|fields|help|pipeline)\\./",
            "/^projects\\.delete\\.contents\\./",
            "/^projects\\.sample\\.phase\\./",
            "/^shell\\.theme\\.(light|dark|system)$/",
            "/^apikeys\\.(scopes|scopeHelp|state|revoke|delete)\\./",
            "/^slots\\.weight\\.problem\\./",
            "/^abtests\\.(status|arm|actions|metric)\\./",
            "/^conversions\\.type\\./",
            "/^retraining\\.(status|triggerKind)\\./",
            "/^users\\.account\\./",
          ],
        },
      ],
      "@intlify/vue-i18n/no-dynamic-keys": "off",
      "@intlify/vue-i18n/valid-message-syntax": "error",
    },
  },
  {
    files: ["scripts/**/*.mjs", "*.config.*", "e2e/**/*.ts"],
    languageOptions: { globals: { ...globals.node } },
  },
);
