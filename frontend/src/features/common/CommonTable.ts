// The SPA's table: rows drawn as a plain table, columns declared as with PrimeVue's
// DataTable (`<Column>` children with `field`, `header`, `sortable`, `class` and a `#body`
// slot). Given a `table` (useServerTable for one page of an endpoint, useLocalTable for rows
// already loaded) it pages with a paginator, and sorts by the sortable columns when the
// table can sort.
//
// Why not DataTable itself: it builds several components for every cell (each resolving its
// pass-through options and theme), which with 100 rows took about 400 ms of the page's first
// draw; here a cell is one element (docs/benchmarks.md, "Web UI").
import Column from "primevue/column";
import Paginator, { type PageState } from "primevue/paginator";
import { defineComponent, Fragment, h, type PropType, type Ref, type SlotsType, type VNode, type VNodeChild } from "vue";
import { useI18n } from "vue-i18n";

import { PAGE_SIZES } from "./usePaging";

type Row = Record<string, unknown>;

/** What the table reads and calls to page (and, where it can, sort) its rows. */
export interface TablePaging {
  first: Readonly<Ref<number>>;
  pageSize: Readonly<Ref<number>>;
  sortField?: Readonly<Ref<string>>;
  sortOrder?: Readonly<Ref<number>>;
  goTo: (page: number, size: number) => void;
  sortBy?: (field: string) => void;
}

interface TableColumn {
  field: string | undefined;
  header: string | undefined;
  sortable: boolean;
  class: unknown;
  body: ((scope: { data: Row; index: number }) => VNodeChild) | undefined;
}

/** The `<Column>` elements among `nodes`, looking through fragments (`v-for`, `v-if`, `<slot>`). */
export function columnsIn(nodes: VNode[]): TableColumn[] {
  return nodes.flatMap((node): TableColumn[] => {
    if (node.type === Fragment && Array.isArray(node.children)) return columnsIn(node.children as VNode[]);
    if (node.type !== Column) return [];
    const props = (node.props ?? {}) as Record<string, unknown>;
    const slots = (node.children ?? {}) as { body?: TableColumn["body"] };
    const field = typeof props.field === "string" ? props.field : undefined;
    return [
      {
        field,
        header: typeof props.header === "string" ? props.header : undefined,
        // A bare `sortable` attribute arrives as "".
        sortable: props.sortable === "" || props.sortable === true,
        class: props.class,
        body: slots.body,
      },
    ];
  });
}

const SORT_ICONS = { none: "pi-sort-alt", ascending: "pi-sort-amount-up-alt", descending: "pi-sort-amount-down" };

export default defineComponent({
  name: "CommonTable",
  props: {
    rows: { type: Array as PropType<readonly unknown[]>, required: true },
    /** The field that tells rows apart. */
    dataKey: { type: String, default: "id" },
    /** Paging, and sorting where it can: without it, every row shows and nothing sorts. */
    table: { type: Object as PropType<TablePaging>, default: undefined },
    /** Rows in all pages (the endpoint's count). */
    total: { type: Number, default: 0 },
    loading: { type: Boolean, default: false },
    /** Smaller cells, for previews and long lists. */
    dense: { type: Boolean, default: false },
    striped: { type: Boolean, default: false },
  },
  slots: Object as SlotsType<{ default: () => VNode[]; empty?: () => VNodeChild }>,
  setup(props, { slots }) {
    const { t } = useI18n();

    function sortState(column: TableColumn): keyof typeof SORT_ICONS {
      if (column.field !== props.table?.sortField?.value) return "none";
      return props.table?.sortOrder?.value === 1 ? "ascending" : "descending";
    }

    function headerCell(column: TableColumn): VNode {
      const sortBy = props.table?.sortBy;
      if (!column.sortable || !column.field || !sortBy) {
        return h("th", { scope: "col", class: ["common-table-header", column.class] }, column.header);
      }
      const field = column.field;
      const state = sortState(column);
      return h("th", { scope: "col", class: ["common-table-header", column.class], "aria-sort": state }, [
        h("button", { type: "button", class: "common-table-sort", "data-sorted": state !== "none", onClick: () => sortBy(field) }, [
          column.header,
          h("span", { class: ["pi", SORT_ICONS[state]], "aria-hidden": "true" }),
        ]),
      ]);
    }

    function bodyRows(columns: TableColumn[]): VNode[] {
      const rows = props.rows as Row[];
      if (rows.length === 0) {
        const message = props.loading
          ? [h("span", { class: "pi pi-spin pi-spinner mr-2", "aria-hidden": "true" }), t("common.loading")]
          : [slots.empty?.()];
        return [h("tr", [h("td", { class: "common-table-cell", colspan: columns.length }, message)])];
      }
      return rows.map((data, index) =>
        h(
          "tr",
          { key: data[props.dataKey] as PropertyKey },
          columns.map((column) =>
            h(
              "td",
              { class: ["common-table-cell", column.class] },
              [column.body ? column.body({ data, index }) : String(column.field ? (data[column.field] ?? "") : "")],
            ),
          ),
        ),
      );
    }

    return () => {
      const columns = columnsIn(slots.default());
      const table = props.table;
      return h("div", { class: ["common-table", { "common-table-dense": props.dense, "common-table-striped": props.striped }], "aria-busy": props.loading }, [
        h("div", { class: "overflow-x-auto" }, [
          h("table", { class: "w-full border-collapse" }, [
            h("thead", [h("tr", columns.map(headerCell))]),
            h("tbody", bodyRows(columns)),
          ]),
        ]),
        table && props.total > 0
          ? h(Paginator, {
              first: table.first.value,
              rows: table.pageSize.value,
              totalRecords: props.total,
              rowsPerPageOptions: PAGE_SIZES,
              onPage: (state: PageState) => table.goTo(state.page + 1, state.rows),
            })
          : null,
      ]);
    };
  },
});
