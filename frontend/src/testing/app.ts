// Mounts a component with the plugins the application installs (main.ts).
import { VueQueryPlugin } from "@tanstack/vue-query";
import { mount } from "@vue/test-utils";
import { createPinia, getActivePinia, setActivePinia } from "pinia";
import PrimeVue from "primevue/config";
import type { Component } from "vue";
import { createMemoryHistory, createRouter, type Router } from "vue-router";

import { i18n } from "@/app/i18n";
import { queryClient } from "@/app/queryClient";
import { installGuards, routes } from "@/app/router";

export function testRouter(): Router {
  const router = createRouter({ history: createMemoryHistory(), routes });
  installGuards(router);
  return router;
}

export function freshPinia() {
  const pinia = createPinia();
  setActivePinia(pinia);
  return pinia;
}

export function mountWithApp(component: Component, router: Router = testRouter()) {
  return mount(component, {
    global: { plugins: [getActivePinia() ?? freshPinia(), i18n, PrimeVue, [VueQueryPlugin, { queryClient }], router] },
    attachTo: document.body,
  });
}
