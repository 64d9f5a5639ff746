import { describe, expect, it } from "vitest";

import { AURA_COMPONENTS } from "./theme";

// Every PrimeVue component a source file imports, and each one those import in turn.
const sources = import.meta.glob<string>("/src/**/*.{vue,ts}", { query: "?raw", import: "default", eager: true });
const primevue = import.meta.glob<string>("/node_modules/primevue/*/index.mjs", { query: "?raw", import: "default", eager: true });
const themed = Object.keys(import.meta.glob("/node_modules/@primeuix/themes/dist/aura/*/index.mjs")).map(
  (path) => path.split("/").at(-2) ?? "",
);

function imported(code: string): string[] {
  return [...code.matchAll(/from ["']primevue\/([a-z]+)["']/g)].map((match) => match[1] ?? "");
}

function drawn(): Set<string> {
  const found = new Set<string>();
  const queue = Object.values(sources).flatMap(imported);
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    if (found.has(name)) continue;
    found.add(name);
    queue.push(...imported(primevue[`/node_modules/primevue/${name}/index.mjs`] ?? ""));
  }
  return found;
}

describe("the theme preset", () => {
  it("has the tokens of every component the pages draw", () => {
    const needed = [...drawn()].filter((name) => themed.includes(name)).sort();
    expect(needed.length).toBeGreaterThan(10);
    expect(needed.filter((name) => !(name in AURA_COMPONENTS))).toEqual([]);
  });
});
