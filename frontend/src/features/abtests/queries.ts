import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { api, unwrap } from "@/api/http";
import type { components, operations } from "@/api/schema";
import { projectKeys } from "@/features/projects/queries";
import { slotKeys } from "@/features/slots/queries";

import type { AbTestResults, DailyCounts } from "./results";

export type AbTest = components["schemas"]["ABTest"];
export type AbTestInput = components["schemas"]["ABTestRequest"];
export type AbTestStatus = components["schemas"]["ABTestStatusEnum"];
export type AbTestListParams = NonNullable<operations["ab_test_list"]["parameters"]["query"]>;
export const AB_TEST_STATUSES: readonly AbTestStatus[] = ["DRAFT", "RUNNING", "COMPLETED", "CANCELLED"];
/** The metrics the backend knows, each counting its own conversion event types. */
export const METRICS = ["ctr", "conversion_rate", "purchase_rate"] as const;
export type Metric = (typeof METRICS)[number];
export const TRANSITIONS = ["start", "stop", "cancel"] as const;
export type Transition = (typeof TRANSITIONS)[number];

/** What the server lets a test in each state do; the buttons follow it, the server decides. */
export function allowedActions(test: AbTest): (Transition | "promote")[] {
  switch (test.status) {
    case "DRAFT":
      return ["start", "cancel"];
    case "RUNNING":
      return ["stop", "cancel"];
    case "COMPLETED":
      return test.winner_slot === null ? ["promote"] : [];
    default:
      return [];
  }
}

// Counts move with every impression while a test runs; a page refreshes them this often.
const LIVE_MS = 10_000;
const live = (status: AbTestStatus | undefined) => (status === "RUNNING" ? LIVE_MS : false);

export const abTestKeys = {
  all: ["ab_test"] as const,
  lists: () => [...abTestKeys.all, "list"] as const,
  list: (params: AbTestListParams) => [...abTestKeys.lists(), params] as const,
  detail: (id: number) => [...abTestKeys.all, "detail", id] as const,
  results: (id: number) => [...abTestKeys.all, "results", id] as const,
  timeseries: (id: number) => [...abTestKeys.all, "timeseries", id] as const,
};

export function useAbTestList(params: MaybeRefOrGetter<AbTestListParams>) {
  return useQuery({
    queryKey: computed(() => abTestKeys.list(toValue(params))),
    queryFn: () => unwrap(api.GET("/api/v1/ab_test/", { params: { query: toValue(params) } })),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.results.some((test) => test.status === "RUNNING") ? LIVE_MS : false),
  });
}

export function useAbTest(id: MaybeRefOrGetter<number>) {
  return useQuery({
    queryKey: computed(() => abTestKeys.detail(toValue(id))),
    queryFn: () => unwrap(api.GET("/api/v1/ab_test/{id}/", { params: { path: { id: toValue(id) } } })),
    refetchInterval: (query) => live(query.state.data?.status),
  });
}

// The schema describes results and time series in words only; results.ts types them.
// Both load beside the test itself, not after it: `status` only sets their refresh.
export function useAbTestResults(id: MaybeRefOrGetter<number>, status: MaybeRefOrGetter<AbTestStatus | undefined>) {
  return useQuery({
    queryKey: computed(() => abTestKeys.results(toValue(id))),
    queryFn: async () =>
      (await unwrap(api.GET("/api/v1/ab_test/{id}/results/", { params: { path: { id: toValue(id) } } }))) as unknown as AbTestResults,
    refetchInterval: () => live(toValue(status)),
  });
}

export function useAbTestTimeseries(id: MaybeRefOrGetter<number>, status: MaybeRefOrGetter<AbTestStatus | undefined>) {
  return useQuery({
    queryKey: computed(() => abTestKeys.timeseries(toValue(id))),
    queryFn: async () => {
      const body = await unwrap(api.GET("/api/v1/ab_test/{id}/results/timeseries/", { params: { path: { id: toValue(id) } } }));
      return (body as unknown as { results: DailyCounts[] }).results;
    },
    refetchInterval: () => live(toValue(status)),
  });
}

/** A test's changes move traffic: slots and the project's summary are refreshed with it. */
function useAbTestMutation<V>(call: (variables: V) => Promise<AbTest>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess: (test) => client.setQueryData(abTestKeys.detail(test.id), test),
    onSettled: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: abTestKeys.all }),
        client.invalidateQueries({ queryKey: slotKeys.lists() }),
        client.invalidateQueries({ queryKey: projectKeys.all }),
      ]),
  });
}

export function useAbTestCreate() {
  return useAbTestMutation((input: AbTestInput) => unwrap(api.POST("/api/v1/ab_test/", { body: input })));
}

export function useAbTestTransition() {
  return useAbTestMutation(({ id, action }: { id: number; action: Transition }) => {
    const path = { params: { path: { id } } };
    if (action === "start") return unwrap(api.POST("/api/v1/ab_test/{id}/start/", path));
    if (action === "stop") return unwrap(api.POST("/api/v1/ab_test/{id}/stop/", path));
    return unwrap(api.POST("/api/v1/ab_test/{id}/cancel/", path));
  });
}

export function useAbTestPromote() {
  return useAbTestMutation(({ id, slot }: { id: number; slot: number }) =>
    unwrap(api.POST("/api/v1/ab_test/{id}/promote_winner/", { params: { path: { id } }, body: { slot } })),
  );
}
