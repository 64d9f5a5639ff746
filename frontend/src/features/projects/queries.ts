import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { api, unwrap } from "@/api/http";
import type { components, operations } from "@/api/schema";

export type Project = components["schemas"]["Project"];
export type ProjectInput = components["schemas"]["ProjectRequest"];
export type ProjectSummary = components["schemas"]["ProjectSummary"];
export type SampleProject = components["schemas"]["SampleProject"];
export type ProjectListParams = NonNullable<operations["project_list"]["parameters"]["query"]>;

export const projectKeys = {
  all: ["projects"] as const,
  lists: () => [...projectKeys.all, "list"] as const,
  list: (params: ProjectListParams) => [...projectKeys.lists(), params] as const,
  detail: (id: number) => [...projectKeys.all, "detail", id] as const,
  summary: (id: number) => [...projectKeys.all, "summary", id] as const,
  traffic: (id: number) => [...projectKeys.all, "traffic", id] as const,
};

export function useProjectList(params: MaybeRefOrGetter<ProjectListParams>) {
  return useQuery({
    queryKey: computed(() => projectKeys.list(toValue(params))),
    queryFn: () => unwrap(api.GET("/api/v1/project/", { params: { query: toValue(params) } })),
    placeholderData: keepPreviousData,
  });
}

export function useProject(id: MaybeRefOrGetter<number>) {
  return useQuery({
    queryKey: computed(() => projectKeys.detail(toValue(id))),
    queryFn: () =>
      unwrap(api.GET("/api/v1/project/{id}/", { params: { path: { id: toValue(id) } } })),
  });
}

export function useProjectSummary(id: MaybeRefOrGetter<number>, enabled: MaybeRefOrGetter<boolean> = true) {
  return useQuery({
    queryKey: computed(() => projectKeys.summary(toValue(id))),
    queryFn: () =>
      unwrap(api.GET("/api/v1/project_summary/{id}/", { params: { path: { id: toValue(id) } } })),
    enabled: () => toValue(enabled),
  });
}

export function useProjectSave() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }: { id: number | null; input: ProjectInput }) =>
      id === null
        ? unwrap(api.POST("/api/v1/project/", { body: input }))
        : unwrap(api.PUT("/api/v1/project/{id}/", { params: { path: { id } }, body: input })),
    onSuccess: (project) => {
      client.setQueryData(projectKeys.detail(project.id), project);
      return client.invalidateQueries({ queryKey: projectKeys.lists() });
    },
  });
}

export function useProjectDelete() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.DELETE("/api/v1/project/{id}/", { params: { path: { id } } })),
    onSuccess: (_, id) => {
      client.removeQueries({ queryKey: projectKeys.detail(id) });
      client.removeQueries({ queryKey: projectKeys.summary(id) });
      return client.invalidateQueries({ queryKey: projectKeys.lists() });
    },
  });
}

/** Builds the MovieLens 100K sample: a project with data, a tuning job and a predict key. */
export function useSampleProjectCreate() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/sample_project/")),
    onSuccess: () => client.invalidateQueries({ queryKey: projectKeys.lists() }),
  });
}

/** Impressions and conversions per day and slot over the last 30 days. */
export function useProjectTraffic(id: MaybeRefOrGetter<number>) {
  return useQuery({
    queryKey: computed(() => projectKeys.traffic(toValue(id))),
    queryFn: () => unwrap(api.GET("/api/v1/project_traffic/{id}/", { params: { path: { id: toValue(id) } } })),
  });
}
