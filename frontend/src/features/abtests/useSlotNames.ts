import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { useSlotList } from "@/features/slots/queries";

/** A project's slots by id (a project has few; one page holds them), for naming test arms. */
export function useProjectSlots(projectId: MaybeRefOrGetter<number>) {
  const slots = useSlotList(() => ({ project: toValue(projectId), page_size: 100, ordering: "name" }));
  const byId = computed(() => new Map((slots.data.value?.results ?? []).map((slot) => [slot.id, slot])));
  const name = (id: number | null | undefined) => (id === null || id === undefined ? "—" : (byId.value.get(id)?.name ?? `#${id}`));
  return { slots, byId, name };
}
