// Which page of a list is shown, and how many rows a page holds: shared by the tables of
// an endpoint's pages (useServerTable) and of rows already loaded (useLocalTable).
import { computed, type MaybeRefOrGetter, ref, toValue } from "vue";

export const DEFAULT_PAGE_SIZE = 20;
export const PAGE_SIZES = [DEFAULT_PAGE_SIZE, 50, 100];

export function usePaging(initialSize: number = DEFAULT_PAGE_SIZE) {
  const page = ref(1);
  const pageSize = ref(initialSize);
  const first = computed(() => (page.value - 1) * pageSize.value);

  /** Show page `number` (from 1) of `size` rows; a new size starts again from the first page. */
  function goTo(number: number, size: number): void {
    page.value = size === pageSize.value ? number : 1;
    pageSize.value = size;
  }

  return { page, pageSize, first, goTo };
}

/** CommonTable's paging over rows already in memory, such as a tuning job's trials. */
export function useLocalTable<Row>(rows: MaybeRefOrGetter<readonly Row[]>) {
  const paging = usePaging();
  const pageRows = computed(() => toValue(rows).slice(paging.first.value, paging.first.value + paging.pageSize.value));
  const total = computed(() => toValue(rows).length);
  return { ...paging, pageRows, total };
}
