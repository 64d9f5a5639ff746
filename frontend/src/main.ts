import "@fontsource-variable/inter";
import "primeicons/primeicons.css";
import "./styles/main.css";

import { VueQueryPlugin } from "@tanstack/vue-query";
import { createPinia } from "pinia";
import PrimeVue from "primevue/config";
import { createApp } from "vue";

import App from "./App.vue";
import { i18n } from "./app/i18n";
import { queryClient } from "./app/queryClient";
import { createAppRouter } from "./app/router";
import { themeOptions } from "./app/theme";

const app = createApp(App);
app.use(createPinia());
app.use(i18n);
app.use(PrimeVue, { theme: themeOptions });
app.use(VueQueryPlugin, { queryClient });
app.use(createAppRouter());
app.mount("#app");
