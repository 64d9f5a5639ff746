import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { api, unwrap } from "@/api/http";
import type { components, operations } from "@/api/schema";
import { projectKeys } from "@/features/projects/queries";

export type Schedule = components["schemas"]["RetrainingSchedule"];
export type ScheduleInput = components["schemas"]["RetrainingScheduleRequest"];
export type Run = components["schemas"]["RetrainingRun"];
export type RunStatus = components["schemas"]["RetrainingRunStatusEnum"];
export type RunListParams = NonNullable<operations["retraining_run_list"]["parameters"]["query"]>;
export type RunTrigger = components["schemas"]["TriggerEnum"];
export const RUN_STATUSES: readonly RunStatus[] = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "SKIPPED"];
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ["PENDING", "RUNNING"];
export const RUN_TRIGGERS: readonly RunTrigger[] = ["SCHEDULED", "MANUAL"];
/** A schedule's last result, which names success apart from a run's COMPLETED. */
export const LAST_RUN_STATUSES: readonly components["schemas"]["LastRunStatusEnum"][] = ["SUCCESS", "FAILED", "SKIPPED"];

// A run waits in the queue, then tunes or trains for minutes: the history refreshes this
// often while one is active, and not at all otherwise.
const LIVE_MS = 3_000;

export const retrainingKeys = {
  all: ["retraining"] as const,
  schedule: (projectId: number) => [...retrainingKeys.all, "schedule", projectId] as const,
  runs: (params: RunListParams) => [...retrainingKeys.all, "runs", params] as const,
};

/** The project's one schedule, or null before it has one. */
export function useProjectSchedule(projectId: MaybeRefOrGetter<number>) {
  return useQuery({
    queryKey: computed(() => retrainingKeys.schedule(toValue(projectId))),
    queryFn: async () => {
      const page = await unwrap(api.GET("/api/v1/retraining_schedule/", { params: { query: { project: toValue(projectId) } } }));
      return page.results[0] ?? null;
    },
  });
}

export function useRunList(params: MaybeRefOrGetter<RunListParams>, enabled: MaybeRefOrGetter<boolean>) {
  return useQuery({
    queryKey: computed(() => retrainingKeys.runs(toValue(params))),
    queryFn: () => unwrap(api.GET("/api/v1/retraining_run/", { params: { query: toValue(params) } })),
    enabled: () => toValue(enabled),
    placeholderData: keepPreviousData,
    refetchInterval: (query) =>
      query.state.data?.results.some((run) => ACTIVE_RUN_STATUSES.includes(run.status)) ? LIVE_MS : false,
  });
}

/** Runs change the schedule's last and next run, which the project's summary reports too. */
function useRetrainingMutation<V, R>(call: (variables: V) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSettled: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: retrainingKeys.all }),
        client.invalidateQueries({ queryKey: projectKeys.all }),
      ]),
  });
}

export function useScheduleSave() {
  return useRetrainingMutation(({ id, input }: { id: number | null; input: ScheduleInput }) =>
    id === null
      ? unwrap(api.POST("/api/v1/retraining_schedule/", { body: input }))
      : unwrap(api.PUT("/api/v1/retraining_schedule/{id}/", { params: { path: { id } }, body: input })),
  );
}

export function useScheduleTrigger() {
  return useRetrainingMutation((id: number) =>
    unwrap(api.POST("/api/v1/retraining_schedule/{id}/trigger/", { params: { path: { id } } })),
  );
}

/** The IANA zones this browser knows, UTC first, for the schedule's zone picker. */
export function timeZones(): string[] {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return ["UTC", ...known.filter((zone) => zone !== "UTC")];
}
