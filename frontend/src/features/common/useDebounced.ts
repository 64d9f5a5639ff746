import { onScopeDispose, ref, type Ref, watch } from "vue";

/** `source`, following it only after it stopped changing for `delayMs`. */
export function useDebounced<T>(source: Ref<T>, delayMs = 300): Ref<T> {
  const settled = ref(source.value) as Ref<T>;
  let timer: ReturnType<typeof setTimeout> | undefined;
  watch(source, (value) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      settled.value = value;
    }, delayMs);
  });
  onScopeDispose(() => clearTimeout(timer));
  return settled;
}
