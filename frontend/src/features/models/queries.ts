// Model configurations (an algorithm and its parameters) and the models trained from them.
import { keepPreviousData, useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { api, unwrap } from "@/api/http";
import type { components, operations } from "@/api/schema";
import { projectKeys } from "@/features/projects/queries";

export type ModelConfiguration = components["schemas"]["ModelConfiguration"];
export type ModelConfigurationInput = components["schemas"]["ModelConfigurationRequest"];
export type TrainedModel = components["schemas"]["TrainedModel"];
export type ModelStatus = TrainedModel["status"];
export type Recommendation = components["schemas"]["Recommendation"];
export type ItemLookup = components["schemas"]["ItemLookup"];
export type ConfigListParams = NonNullable<operations["model_configuration_list"]["parameters"]["query"]>;
export type ModelListParams = NonNullable<operations["trained_model_list"]["parameters"]["query"]>;

export const MODEL_STATUSES: readonly ModelStatus[] = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];
export const MODEL_UNFINISHED: readonly ModelStatus[] = ["PENDING", "RUNNING"];
const POLL_MS = 3000;
/** What a preview recommends for: a known user, a set of items, or one item (similar items). */
export const PREVIEW_MODES = ["user", "profile", "similar"] as const;
export type PreviewMode = (typeof PREVIEW_MODES)[number];
/** How many items a preview lists. */
export const PREVIEW_CUTOFF = 10;

export const configurationKeys = {
  all: ["model_configuration"] as const,
  lists: () => [...configurationKeys.all, "list"] as const,
  list: (params: ConfigListParams) => [...configurationKeys.lists(), params] as const,
  detail: (id: number) => [...configurationKeys.all, "detail", id] as const,
};

export const modelKeys = {
  all: ["trained_model"] as const,
  lists: () => [...modelKeys.all, "list"] as const,
  list: (params: ModelListParams) => [...modelKeys.lists(), params] as const,
  detail: (id: number) => [...modelKeys.all, "detail", id] as const,
  userPreview: (id: number, userId: string) => [...modelKeys.detail(id), "user", userId] as const,
  sampleUser: (id: number) => [...modelKeys.detail(id), "sample-user"] as const,
  profilePreview: (id: number, itemIds: readonly string[]) => [...modelKeys.detail(id), "profile", itemIds] as const,
  items: (metadataId: number, itemIds: readonly string[]) => ["item_meta_data", "detail", metadataId, "items", itemIds] as const,
};

/** The metrics a model was scored with on held-out data, e.g. {"ndcg@10": 0.31}. */
export function modelMetrics(model: TrainedModel): Record<string, number> {
  const raw = model.metrics_json;
  if (raw === null || typeof raw !== "object") return {};
  return Object.fromEntries(Object.entries(raw).filter((entry): entry is [string, number] => typeof entry[1] === "number"));
}

export function configurationLabel(configuration: ModelConfiguration): string {
  return configuration.name || `${configuration.recommender_class_name} #${configuration.id}`;
}

export function useConfigurationList(params: MaybeRefOrGetter<ConfigListParams>) {
  return useQuery({
    queryKey: computed(() => configurationKeys.list(toValue(params))),
    queryFn: () => unwrap(api.GET("/api/v1/model_configuration/", { params: { query: toValue(params) } })),
    placeholderData: keepPreviousData,
  });
}

export function useConfiguration(id: MaybeRefOrGetter<number | null>) {
  return useQuery({
    queryKey: computed(() => configurationKeys.detail(toValue(id) ?? 0)),
    queryFn: () => unwrap(api.GET("/api/v1/model_configuration/{id}/", { params: { path: { id: toValue(id) ?? 0 } } })),
    enabled: () => toValue(id) !== null,
  });
}

export function useConfigurationSave() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }: { id: number | null; input: ModelConfigurationInput }) =>
      id === null
        ? unwrap(api.POST("/api/v1/model_configuration/", { body: input }))
        : unwrap(api.PUT("/api/v1/model_configuration/{id}/", { params: { path: { id } }, body: input })),
    onSuccess: (saved) => {
      client.setQueryData(configurationKeys.detail(saved.id), saved);
      return Promise.all([
        client.invalidateQueries({ queryKey: configurationKeys.lists() }),
        client.invalidateQueries({ queryKey: projectKeys.summary(saved.project) }),
      ]);
    },
  });
}

export function useModelList(params: MaybeRefOrGetter<ModelListParams>) {
  return useQuery({
    queryKey: computed(() => modelKeys.list(toValue(params))),
    queryFn: () => unwrap(api.GET("/api/v1/trained_model/", { params: { query: toValue(params) } })),
    placeholderData: keepPreviousData,
    refetchInterval: (query) =>
      query.state.data?.results.some((model) => MODEL_UNFINISHED.includes(model.status)) ? POLL_MS : false,
  });
}

function fetchModel(id: number) {
  return unwrap(api.GET("/api/v1/trained_model/{id}/", { params: { path: { id } } }));
}

/** One model, once its id is known; `poll` keeps asking until it has finished training. */
export function useModel(id: MaybeRefOrGetter<number | null>, { poll = false } = {}) {
  return useQuery({
    queryKey: computed(() => modelKeys.detail(toValue(id) ?? 0)),
    queryFn: () => fetchModel(toValue(id) ?? 0),
    enabled: () => toValue(id) !== null,
    refetchInterval: (query) => (poll && (!query.state.data || MODEL_UNFINISHED.includes(query.state.data.status)) ? POLL_MS : false),
  });
}

/** Several models at once, for a side-by-side comparison. */
export function useModels(ids: MaybeRefOrGetter<readonly number[]>) {
  return useQueries({
    queries: computed(() => toValue(ids).map((id) => ({ queryKey: modelKeys.detail(id), queryFn: () => fetchModel(id) }))),
  });
}

export function useModelTrain() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: components["schemas"]["TrainedModelRequest"]) =>
      unwrap(api.POST("/api/v1/trained_model/", { body: input })),
    onSuccess: (model) =>
      Promise.all([
        client.invalidateQueries({ queryKey: modelKeys.lists() }),
        client.invalidateQueries({ queryKey: projectKeys.summary(model.project) }),
      ]),
  });
}

/** A known user's history and recommendations; the sample user when `userId` is null. */
export function useUserPreview(modelId: MaybeRefOrGetter<number>, userId: MaybeRefOrGetter<string | null>, enabled: MaybeRefOrGetter<boolean>) {
  return useQuery({
    queryKey: computed(() => {
      const user = toValue(userId);
      return user === null ? modelKeys.sampleUser(toValue(modelId)) : modelKeys.userPreview(toValue(modelId), user);
    }),
    queryFn: () => {
      const id = toValue(modelId);
      const user = toValue(userId);
      return user === null
        ? unwrap(api.GET("/api/v1/trained_model/{id}/sample_recommendation_raw/", { params: { path: { id }, query: { cutoff: PREVIEW_CUTOFF } } }))
        : unwrap(
            api.GET("/api/v1/trained_model/{id}/recommendation/", {
              params: { path: { id }, query: { user_id: user, cutoff: PREVIEW_CUTOFF, shape: "full" } },
            }),
          ).then((answer) => (Array.isArray(answer) ? { user_id: user, user_profile: [], recommendations: answer } : answer));
    },
    enabled: () => toValue(enabled),
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
}

/** Recommendations for a set of items someone interacted with (one item: similar items). */
export function useProfilePreview(modelId: MaybeRefOrGetter<number>, itemIds: MaybeRefOrGetter<readonly string[]>) {
  return useQuery({
    queryKey: computed(() => modelKeys.profilePreview(toValue(modelId), toValue(itemIds))),
    queryFn: () =>
      unwrap(
        api.POST("/api/v1/trained_model/{id}/recommend_using_profile_interaction/", {
          params: { path: { id: toValue(modelId) } },
          body: { item_ids: [...toValue(itemIds)], cutoff: PREVIEW_CUTOFF },
        }),
      ),
    enabled: () => toValue(itemIds).length > 0,
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
}

/** The item metadata rows of these items (their titles…), when the project has metadata. */
export function useItemLookup(metadataId: MaybeRefOrGetter<number | null>, itemIds: MaybeRefOrGetter<readonly string[]>) {
  return useQuery({
    queryKey: computed(() => modelKeys.items(toValue(metadataId) ?? 0, toValue(itemIds))),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/item_meta_data/{id}/items/", {
          params: { path: { id: toValue(metadataId) ?? 0 }, query: { item_id: [...toValue(itemIds)] } },
        }),
      ),
    enabled: () => toValue(metadataId) !== null && toValue(itemIds).length > 0,
    staleTime: Number.POSITIVE_INFINITY,
  });
}
