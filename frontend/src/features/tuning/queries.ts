import { keepPreviousData, useQuery } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { api, unwrap } from "@/api/http";
import type { components, operations } from "@/api/schema";

export type TuningJob = components["schemas"]["ParameterTuningJob"];
export type TuningStatus = TuningJob["status"];
export type TuningListParams = NonNullable<operations["parameter_tuning_job_list"]["parameters"]["query"]>;

export const TUNING_STATUSES: readonly TuningStatus[] = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];
export const UNFINISHED: readonly TuningStatus[] = ["PENDING", "RUNNING"];
const POLL_MS = 3000;

export const tuningKeys = {
  all: ["parameter_tuning_job"] as const,
  lists: () => [...tuningKeys.all, "list"] as const,
  list: (params: TuningListParams) => [...tuningKeys.lists(), params] as const,
  detail: (id: number) => [...tuningKeys.all, "detail", id] as const,
};

export function useTuningJobList(params: MaybeRefOrGetter<TuningListParams>) {
  return useQuery({
    queryKey: computed(() => tuningKeys.list(toValue(params))),
    queryFn: () => unwrap(api.GET("/api/v1/parameter_tuning_job/", { params: { query: toValue(params) } })),
    placeholderData: keepPreviousData,
    // Keep statuses and trial counts moving while any job on the page is still going.
    refetchInterval: (query) => (query.state.data?.results.some((job) => UNFINISHED.includes(job.status)) ? POLL_MS : false),
  });
}
