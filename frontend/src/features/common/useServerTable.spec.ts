import { mount } from "@vue/test-utils";
import { describe, expect, it, vi } from "vitest";
import { defineComponent, effectScope, nextTick, ref } from "vue";
import { createMemoryHistory, createRouter } from "vue-router";

import { useServerTable } from "./useServerTable";

function inScope<T>(make: () => T): T {
  return effectScope().run(make) as T;
}

describe("useServerTable", () => {
  it("turns page and sort choices into API parameters", () => {
    const table = inScope(() => useServerTable({ ordering: "-updated_at" }));
    expect(table.params.value).toEqual({ page: 1, page_size: 20, ordering: "-updated_at" });

    table.goTo(3, 20);
    expect(table.params.value).toEqual({ page: 3, page_size: 20, ordering: "-updated_at" });
    expect(table.first.value).toBe(40);
    // A new page size starts again from the first page.
    table.goTo(3, 50);
    expect(table.params.value).toEqual({ page: 1, page_size: 50, ordering: "-updated_at" });

    table.goTo(2, 50);
    table.sortBy("name");
    expect(table.params.value).toEqual({ page: 1, page_size: 50, ordering: "name" });
    table.sortBy("name");
    expect(table.ordering.value).toBe("-name");
    table.sortBy("name");
    expect(table.ordering.value).toBe("name");
    // The default sort is descending: a click turns it round.
    const recent = inScope(() => useServerTable({ ordering: "-updated_at" }));
    recent.sortBy("updated_at");
    expect(recent.ordering.value).toBe("updated_at");
  });

  it("returns to the first page when the settled search or a filter changes", async () => {
    vi.useFakeTimers();
    try {
      const status = ref<string | null>(null);
      const table = inScope(() => useServerTable({ ordering: "name", filters: [status] }));
      table.page.value = 4;
      table.search.value = "  movie ";
      await nextTick();
      expect(table.page.value).toBe(4);
      expect(table.searchTerm.value).toBeUndefined();
      vi.advanceTimersByTime(300);
      await nextTick();
      expect(table.searchTerm.value).toBe("movie");
      expect(table.page.value).toBe(1);

      table.page.value = 2;
      status.value = "VALID";
      await nextTick();
      expect(table.page.value).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("opens at the page size and search a link asks for", async () => {
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: "/", component: { render: () => null } }] });
    await router.push("/?page_size=100&search=ml");
    let table: ReturnType<typeof useServerTable> | undefined;
    mount(defineComponent(() => { table = useServerTable({ ordering: "name" }); return () => null; }), { global: { plugins: [router] } });
    expect(table?.params.value).toEqual({ page: 1, page_size: 100, ordering: "name" });
    expect(table?.searchTerm.value).toBe("ml");

    await router.push("/?page_size=7");
    mount(defineComponent(() => { table = useServerTable({ ordering: "name" }); return () => null; }), { global: { plugins: [router] } });
    expect(table?.params.value.page_size).toBe(20);
  });
});
