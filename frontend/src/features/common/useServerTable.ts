// Server-side paging and sorting for a PrimeVue DataTable in lazy mode: the table shows
// one page, the API (`page`, `page_size`, `ordering`) does the work.
import type { DataTablePageEvent, DataTableSortEvent } from "primevue/datatable";
import { computed, ref } from "vue";

const DEFAULT_PAGE_SIZE = 20;
export const PAGE_SIZES = [DEFAULT_PAGE_SIZE, 50, 100];

export function useServerTable(defaults: { ordering: string; pageSize?: number }) {
  const page = ref(1);
  const pageSize = ref(defaults.pageSize ?? DEFAULT_PAGE_SIZE);
  const ordering = ref(defaults.ordering);

  const first = computed(() => (page.value - 1) * pageSize.value);
  const sortField = computed(() => ordering.value.replace(/^-/, ""));
  const sortOrder = computed(() => (ordering.value.startsWith("-") ? -1 : 1));
  const params = computed(() => ({
    page: page.value,
    page_size: pageSize.value,
    ordering: ordering.value,
  }));

  function onPage(event: DataTablePageEvent): void {
    page.value = event.page + 1;
    pageSize.value = event.rows;
  }

  function onSort(event: DataTableSortEvent): void {
    const field = typeof event.sortField === "string" ? event.sortField : null;
    ordering.value = field ? `${event.sortOrder === -1 ? "-" : ""}${field}` : defaults.ordering;
    page.value = 1;
  }

  return { page, pageSize, ordering, first, sortField, sortOrder, params, onPage, onSort };
}
