import { flushPromises } from "@vue/test-utils";
import Column from "primevue/column";
import { afterEach, describe, expect, it } from "vitest";
import { defineComponent, effectScope, h, ref } from "vue";
import { createMemoryHistory, createRouter } from "vue-router";

import { mountWithApp } from "@/testing/app";

import CommonListPage from "./CommonListPage.vue";
import { type ListQuery, type ServerTable, useServerTable } from "./useServerTable";

interface Row {
  id: number;
  name: string;
}

function page(results: Row[] | undefined, narrowed = false) {
  const query: ListQuery<Row> = {
    data: ref(results && { count: results.length, results }),
    error: ref(null),
    isSuccess: ref(results !== undefined),
    isError: ref(false),
    isFetching: ref(results === undefined),
    refetch: () => undefined,
  };
  const table = effectScope().run(() => useServerTable({ ordering: "name" })) as ServerTable;
  return defineComponent(() => () =>
    h(
      CommonListPage<Row>,
      {
        title: "Things",
        query,
        table,
        narrowed,
        empty: { icon: "pi-box", title: "Nothing yet", description: "Make one." },
        noMatch: "No match.",
        testid: "things",
      },
      {
        filters: () => h("input", { "aria-label": "filter" }),
        default: () => h(Column, { field: "name", header: "Name" }),
      },
    ),
  );
}

// A router without guards: the page needs RouterLink, not a session.
const bareRouter = () => createRouter({ history: createMemoryHistory(), routes: [{ path: "/", component: { render: () => null } }] });

afterEach(() => {
  document.body.innerHTML = "";
});

describe("CommonListPage", () => {
  it("renders the page's columns over the rows of the current page", async () => {
    const wrapper = mountWithApp(page([{ id: 1, name: "first" }, { id: 2, name: "second" }]), bareRouter());
    await flushPromises();
    const table = wrapper.find('[data-testid="things"]');
    expect(table.find("th").text()).toContain("Name");
    expect(table.findAll("tbody tr").map((row) => row.text())).toEqual(["first", "second"]);
    expect(wrapper.find('input[aria-label="filter"]').exists()).toBe(true);
  });

  it("tells an empty collection from a filter that matches nothing", async () => {
    const empty = mountWithApp(page([]), bareRouter());
    await flushPromises();
    expect(empty.text()).toContain("Nothing yet");
    expect(empty.find('[data-testid="things"]').exists()).toBe(false);

    const unmatched = mountWithApp(page([], true), bareRouter());
    await flushPromises();
    expect(unmatched.text()).not.toContain("Nothing yet");
    expect(unmatched.find('[data-testid="things"]').text()).toContain("No match.");
  });
});
