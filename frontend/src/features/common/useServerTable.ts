// Server-side paging, sorting and searching for a table of one page (CommonTable): the
// API (`page`, `page_size`, `ordering`, a search parameter) does the work.
import { computed, getCurrentInstance, type Ref, ref, watch, type WatchSource } from "vue";
import { useRoute } from "vue-router";

import { useDebounced } from "./useDebounced";
import { DEFAULT_PAGE_SIZE, PAGE_SIZES, usePaging } from "./usePaging";

/** What a list page reads from its TanStack query over one page of a paginated endpoint. */
export interface ListQuery<Row> {
  data: Readonly<Ref<{ count: number; results: Row[] } | undefined>>;
  error: Readonly<Ref<unknown>>;
  isSuccess: Readonly<Ref<boolean>>;
  isError: Readonly<Ref<boolean>>;
  isFetching: Readonly<Ref<boolean>>;
  refetch: () => unknown;
}

export interface ServerTableOptions {
  ordering: string;
  pageSize?: number;
  /** Filters besides the search box: a change returns the table to its first page. */
  filters?: WatchSource[];
}

export function useServerTable(options: ServerTableOptions) {
  // A link may open a list at a page size or with a search: `?page_size=100&search=ml`.
  const query = getCurrentInstance() ? useRoute().query : {};
  const requestedSize = Number(query.page_size);
  const { page, pageSize, first, goTo } = usePaging(PAGE_SIZES.includes(requestedSize) ? requestedSize : (options.pageSize ?? DEFAULT_PAGE_SIZE));
  const ordering = ref(options.ordering);
  const search = ref(typeof query.search === "string" ? query.search : "");
  const searched = useDebounced(search);
  /** The settled search text, or undefined so an empty box sends no parameter. */
  const searchTerm = computed(() => searched.value.trim() || undefined);

  // Page 3 of the old result set means nothing once the set changes.
  watch([searched, ...(options.filters ?? [])], () => {
    page.value = 1;
  });

  const sortField = computed(() => ordering.value.replace(/^-/, ""));
  const sortOrder = computed(() => (ordering.value.startsWith("-") ? -1 : 1));
  const params = computed(() => ({
    page: page.value,
    page_size: pageSize.value,
    ordering: ordering.value,
  }));

  /** Sort by `field`: ascending first, the other way round when it is already the sort. */
  function sortBy(field: string): void {
    ordering.value = sortField.value === field && sortOrder.value === 1 ? `-${field}` : field;
    page.value = 1;
  }

  return { page, pageSize, ordering, search, searchTerm, first, sortField, sortOrder, params, goTo, sortBy };
}

export type ServerTable = ReturnType<typeof useServerTable>;
