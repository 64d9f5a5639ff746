import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { ApiError } from "@/api/errors";
import { api, unwrap } from "@/api/http";
import type { components, operations } from "@/api/schema";

export type TuningJob = components["schemas"]["ParameterTuningJob"];
export type TuningStatus = TuningJob["status"];
export type TuningListParams = NonNullable<operations["parameter_tuning_job_list"]["parameters"]["query"]>;

export const TUNING_STATUSES: readonly TuningStatus[] = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];
export const UNFINISHED: readonly TuningStatus[] = ["PENDING", "RUNNING"];
const POLL_MS = 3000;

/** How far a job is through its planned trials, 0-100. */
export function progressPercent(finished: number, planned: number | undefined): number {
  return planned ? Math.round((100 * finished) / planned) : 0;
}

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

export type SplitConfig = components["schemas"]["SplitConfig"];
export type SplitInput = components["schemas"]["SplitConfigRequest"];
export type EvaluationConfig = components["schemas"]["EvaluationConfig"];
export type EvaluationInput = components["schemas"]["EvaluationConfigRequest"];
export type TuningJobInput = components["schemas"]["ParameterTuningJobRequest"];
export type Algorithm = components["schemas"]["Algorithm"];
export const SPLIT_SCHEMES: readonly NonNullable<SplitInput["scheme"]>[] = ["RG", "TG", "TU"];
export const METRICS: readonly NonNullable<EvaluationInput["target_metric"]>[] = ["ndcg", "map", "recall", "hit"];

// Saved configurations are few; one page of this size holds them all.
const ALL = { page_size: 100, ordering: "-ins_datetime" };

export const configKeys = {
  splits: ["split_config", "list"] as const,
  evaluations: ["evaluation_config", "list"] as const,
  algorithms: ["model_configuration", "algorithms"] as const,
};

export function useSplitConfigs() {
  return useQuery({
    queryKey: configKeys.splits,
    queryFn: () => unwrap(api.GET("/api/v1/split_config/", { params: { query: ALL } })),
  });
}

export function useEvaluationConfigs() {
  return useQuery({
    queryKey: configKeys.evaluations,
    queryFn: () => unwrap(api.GET("/api/v1/evaluation_config/", { params: { query: ALL } })),
  });
}

export function useAlgorithms() {
  return useQuery({
    queryKey: configKeys.algorithms,
    queryFn: () => unwrap(api.GET("/api/v1/model_configuration/algorithms/")),
    staleTime: Infinity,
  });
}

/** A saved configuration's id, or the fields of a new one to save first. */
export type Chosen<I> = { id: number } | { input: I };

export interface TuningJobSubmission {
  split: Chosen<SplitInput>;
  evaluation: Chosen<EvaluationInput>;
  job: Omit<TuningJobInput, "split" | "evaluation">;
}

// A failed step's field messages land under its name ("split.heldout_ratio"), so the
// form shows them at the field that caused them.
async function step<T>(prefix: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw error instanceof ApiError ? error.withFieldPrefix(prefix) : error;
  }
}

export function useTuningJobCreate() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ split, evaluation, job }: TuningJobSubmission) => {
      const splitId =
        "id" in split
          ? split.id
          : (await step("split", () => unwrap(api.POST("/api/v1/split_config/", { body: split.input })))).id;
      const evaluationId =
        "id" in evaluation
          ? evaluation.id
          : (await step("evaluation", () => unwrap(api.POST("/api/v1/evaluation_config/", { body: evaluation.input })))).id;
      return unwrap(api.POST("/api/v1/parameter_tuning_job/", { body: { ...job, split: splitId, evaluation: evaluationId } }));
    },
    onSettled: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: configKeys.splits }),
        client.invalidateQueries({ queryKey: configKeys.evaluations }),
        client.invalidateQueries({ queryKey: tuningKeys.lists() }),
      ]),
  });
}

export type Trial = components["schemas"]["Trial"];

export const tuningDetailKeys = {
  trials: (id: number) => [...tuningKeys.detail(id), "trials"] as const,
};

/** One job, once its id is known; `poll` keeps asking until it has finished, for a page without its live updates. */
export function useTuningJob(id: MaybeRefOrGetter<number | null>, { poll = false } = {}) {
  return useQuery({
    queryKey: computed(() => tuningKeys.detail(toValue(id) ?? 0)),
    queryFn: () => unwrap(api.GET("/api/v1/parameter_tuning_job/{id}/", { params: { path: { id: toValue(id) ?? 0 } } })),
    enabled: () => toValue(id) !== null,
    refetchInterval: (query) => (poll && (!query.state.data || UNFINISHED.includes(query.state.data.status)) ? POLL_MS : false),
  });
}

export function useTuningTrials(id: MaybeRefOrGetter<number>) {
  return useQuery({
    queryKey: computed(() => tuningDetailKeys.trials(toValue(id))),
    queryFn: () => unwrap(api.GET("/api/v1/parameter_tuning_job/{id}/trials/", { params: { path: { id: toValue(id) } } })),
  });
}

export function useTuningJobCancel() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => unwrap(api.POST("/api/v1/parameter_tuning_job/{id}/cancel/", { params: { path: { id } } })),
    onSuccess: (job) => {
      client.setQueryData(tuningKeys.detail(job.id), job);
      return client.invalidateQueries({ queryKey: tuningKeys.lists() });
    },
  });
}
