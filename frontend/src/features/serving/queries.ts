import { keepPreviousData, useQuery } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { api, unwrap } from "@/api/http";

/** The figures move every minute; half a minute keeps the last point current. */
export const REFRESH_MS = 30_000;
export const WINDOW_MINUTES = 60;

export const servingKeys = {
  all: ["serving"] as const,
  figures: (projectId: number, minutes: number) => [...servingKeys.all, projectId, minutes] as const,
};

export function useServingFigures(projectId: MaybeRefOrGetter<number>, minutes: MaybeRefOrGetter<number> = WINDOW_MINUTES) {
  return useQuery({
    queryKey: computed(() => servingKeys.figures(toValue(projectId), toValue(minutes))),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/project/{id}/serving/", {
          params: { path: { id: toValue(projectId) }, query: { minutes: toValue(minutes) } },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: REFRESH_MS,
  });
}
