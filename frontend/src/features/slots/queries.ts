import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { api, unwrap } from "@/api/http";
import type { components, operations } from "@/api/schema";
import { projectKeys } from "@/features/projects/queries";

export type Slot = components["schemas"]["DeploymentSlot"];
export type SlotInput = components["schemas"]["DeploymentSlotRequest"];
export type SlotChange = Partial<Pick<SlotInput, "weight" | "is_active" | "trained_model">>;
export type SlotListParams = NonNullable<operations["deployment_slot_list"]["parameters"]["query"]>;

export const slotKeys = {
  all: ["deployment_slot"] as const,
  lists: () => [...slotKeys.all, "list"] as const,
  list: (params: SlotListParams) => [...slotKeys.lists(), params] as const,
  models: (projectId: number) => [...slotKeys.all, "completed_models", projectId] as const,
};

export function useSlotList(params: MaybeRefOrGetter<SlotListParams>) {
  return useQuery({
    queryKey: computed(() => slotKeys.list(toValue(params))),
    queryFn: () => unwrap(api.GET("/api/v1/deployment_slot/", { params: { query: toValue(params) } })),
    placeholderData: keepPreviousData,
  });
}

/** The models a slot may serve: the project's completed ones, newest first. */
export function useCompletedModels(projectId: MaybeRefOrGetter<number>) {
  return useQuery({
    queryKey: computed(() => slotKeys.models(toValue(projectId))),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/trained_model/", {
          params: {
            query: { data_loc__project: toValue(projectId), status: "COMPLETED", ordering: "-ins_datetime", page_size: 100 },
          },
        }),
      ),
  });
}

/** Slot writes change the traffic split, which the project's summary reports. */
function useSlotMutation<V, R>(call: (variables: V) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSettled: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: slotKeys.lists() }),
        client.invalidateQueries({ queryKey: projectKeys.all }),
      ]),
  });
}

export function useSlotCreate() {
  return useSlotMutation((input: SlotInput) => unwrap(api.POST("/api/v1/deployment_slot/", { body: input })));
}

export function useSlotUpdate() {
  return useSlotMutation(({ slot, change }: { slot: Slot; change: SlotChange }) =>
    unwrap(
      api.PATCH("/api/v1/deployment_slot/{id}/", {
        params: { path: { id: slot.id } },
        // The schema marks weight required in a PATCH for its default; the saved one changes nothing.
        body: { weight: slot.weight, ...change },
      }),
    ),
  );
}

export function useSlotDelete() {
  return useSlotMutation((id: number) =>
    unwrap(api.DELETE("/api/v1/deployment_slot/{id}/", { params: { path: { id } } })),
  );
}
