/// <reference types="vitest/config" />
import { fileURLToPath, URL } from "node:url";

import tailwindcss from "@tailwindcss/vite";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

// The dev server forwards what nginx forwards in every deployment (nginx.conf), so a page
// behaves the same under `npm run dev` as behind `make run`.
const backend = process.env.VITE_BACKEND ?? "http://127.0.0.1:8080";
const inference = process.env.VITE_INFERENCE ?? "http://127.0.0.1:8081";

export default defineConfig({
  plugins: [vue(), tailwindcss()],
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  server: {
    proxy: {
      "/api/": { target: backend, changeOrigin: false },
      "/admin/": { target: backend },
      "/static/": { target: backend },
      "/ws/": { target: backend, ws: true },
      "/inference/": {
        target: inference,
        rewrite: (path) => path.replace(/^\/inference/, ""),
      },
    },
  },
  build: {
    // Browsers that run ES modules natively, as nginx serves them.
    target: "es2022",
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.spec.ts"],
    restoreMocks: true,
    setupFiles: ["src/testing/setup.ts"],
  },
});
