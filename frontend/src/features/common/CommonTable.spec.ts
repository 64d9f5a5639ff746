import { flushPromises } from "@vue/test-utils";
import Column from "primevue/column";
import { afterEach, describe, expect, it } from "vitest";
import { type Component, defineComponent, effectScope, h } from "vue";
import { createMemoryHistory, createRouter } from "vue-router";

import { mountWithApp } from "@/testing/app";

import CommonTable from "./CommonTable";
import { useLocalTable } from "./usePaging";
import { type ServerTable, useServerTable } from "./useServerTable";

interface Row {
  id: number;
  name: string;
  size: number;
}

const ROWS: Row[] = [
  { id: 1, name: "first", size: 10 },
  { id: 2, name: "second", size: 20 },
];

function tableOf(rows: Row[], { total = rows.length, loading = false, hidden = false } = {}) {
  const table = effectScope().run(() => useServerTable({ ordering: "-size" })) as ServerTable;
  const page = defineComponent(() => () =>
    h(
      CommonTable,
      { rows, total, table, loading, "data-testid": "things" },
      {
        default: () => [
          h(column, { field: "name", header: "Name", sortable: "" }, { body: ({ data }: { data: Row }) => h("strong", data.name) }),
          hidden ? null : h(column, { field: "size", header: "Size", sortable: true, class: "text-right" }),
          h(column, { header: "Note" }),
        ],
        empty: () => "No match.",
      },
    ),
  );
  return { table, page };
}

// PrimeVue types a Column's props for templates, not for render functions.
const column = Column as Component;

function nth<T>(items: T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
}

const bareRouter = () => createRouter({ history: createMemoryHistory(), routes: [{ path: "/", component: { render: () => null } }] });

afterEach(() => {
  document.body.innerHTML = "";
});

describe("CommonTable", () => {
  it("draws the declared columns: a body slot, a field's value, or nothing", async () => {
    const { page } = tableOf(ROWS);
    const wrapper = mountWithApp(page, bareRouter());
    await flushPromises();
    const root = wrapper.find('[data-testid="things"]');
    expect(root.findAll("th").map((cell) => cell.text())).toEqual(["Name", "Size", "Note"]);
    const cells = root.findAll("tbody tr").map((row) => row.findAll("td").map((cell) => cell.text()));
    expect(cells).toEqual([
      ["first", "10", ""],
      ["second", "20", ""],
    ]);
    expect(root.find("tbody strong").text()).toBe("first");
    expect(nth(root.findAll("td"), 1).classes()).toContain("text-right");
  });

  it("leaves out a column its page does not show", async () => {
    const { page } = tableOf(ROWS, { hidden: true });
    const wrapper = mountWithApp(page, bareRouter());
    await flushPromises();
    expect(wrapper.findAll("th").map((cell) => cell.text())).toEqual(["Name", "Note"]);
  });

  it("sorts by a header, says which way, and turns round on a second click", async () => {
    const { page, table } = tableOf(ROWS);
    const wrapper = mountWithApp(page, bareRouter());
    await flushPromises();
    const headers = wrapper.findAll("th");
    const [name, size, note] = [nth(headers, 0), nth(headers, 1), nth(headers, 2)];
    expect(size.attributes("aria-sort")).toBe("descending");
    expect(name.attributes("aria-sort")).toBe("none");
    expect(note.attributes("aria-sort")).toBeUndefined();
    expect(note.find("button").exists()).toBe(false);

    await name.find("button").trigger("click");
    expect(table.ordering.value).toBe("name");
    expect(nth(wrapper.findAll("th"), 0).attributes("aria-sort")).toBe("ascending");
    await nth(wrapper.findAll("th"), 0).find("button").trigger("click");
    expect(table.ordering.value).toBe("-name");
    expect(nth(wrapper.findAll("th"), 0).attributes("aria-sort")).toBe("descending");
  });

  it("pages through the server's total with the paginator", async () => {
    const { page, table } = tableOf(ROWS, { total: 45 });
    const wrapper = mountWithApp(page, bareRouter());
    await flushPromises();
    await wrapper.find(".p-paginator-next").trigger("click");
    expect(table.params.value).toEqual({ page: 2, page_size: 20, ordering: "-size" });
  });

  it("pages rows already loaded, and sorts nothing it cannot", async () => {
    const many = Array.from({ length: 45 }, (_, index) => ({ id: index, name: `row ${index}`, size: index }));
    const local = effectScope().run(() => useLocalTable(many));
    if (!local) throw new Error("no table");
    const page = defineComponent(() => () =>
      h(
        CommonTable,
        { rows: local.pageRows.value, total: local.total.value, table: local, dataKey: "size" },
        { default: () => [h(column, { field: "name", header: "Name", sortable: true })] },
      ),
    );
    const wrapper = mountWithApp(page, bareRouter());
    await flushPromises();
    expect(wrapper.find("th button").exists()).toBe(false);
    expect(wrapper.findAll("tbody tr")).toHaveLength(20);
    await wrapper.find(".p-paginator-next").trigger("click");
    expect(wrapper.findAll("tbody tr").map((row) => row.text()).slice(0, 2)).toEqual(["row 20", "row 21"]);
  });

  it("says it is loading before the first page, and shows the empty text after", async () => {
    const loading = mountWithApp(tableOf([], { loading: true }).page, bareRouter());
    await flushPromises();
    expect(loading.find("tbody").text()).toContain("Loading");
    expect(loading.find('[data-testid="things"]').attributes("aria-busy")).toBe("true");
    expect(loading.find(".p-paginator").exists()).toBe(false);

    const empty = mountWithApp(tableOf([]).page, bareRouter());
    await flushPromises();
    expect(empty.find("tbody").text()).toBe("No match.");
  });
});
