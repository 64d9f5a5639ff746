// Training data and item metadata are both uploads of a project: one set of queries serves
// both, told apart by the API collection they live in.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { api, unwrap } from "@/api/http";
import type { components, operations } from "@/api/schema";
import { projectKeys } from "@/features/projects/queries";

export type UploadKind = "training_data" | "item_meta_data";
export type TrainingData = components["schemas"]["TrainingData"];
export type ItemMetaData = components["schemas"]["ItemMetaData"];
export type Upload = TrainingData | ItemMetaData;
export type ValidationStatus = TrainingData["validation_status"];
export type UploadListParams = NonNullable<operations["training_data_list"]["parameters"]["query"]>;

export const UNSETTLED: readonly ValidationStatus[] = ["PENDING", "VALIDATING"];
const POLL_MS = 2000;
export const PREVIEW_ROWS = 20;

export const uploadKeys = {
  all: (kind: UploadKind) => [kind] as const,
  lists: (kind: UploadKind) => [...uploadKeys.all(kind), "list"] as const,
  list: (kind: UploadKind, params: UploadListParams) => [...uploadKeys.lists(kind), params] as const,
  detail: (kind: UploadKind, id: number) => [...uploadKeys.all(kind), "detail", id] as const,
  preview: (kind: UploadKind, id: number) => [...uploadKeys.detail(kind, id), "preview"] as const,
  limits: () => ["upload_limits"] as const,
};

export function uploadUrl(kind: UploadKind): string {
  return `/api/v1/${kind}/`;
}

export interface UploadPage {
  count: number;
  results: Upload[];
}

function fetchList(kind: UploadKind, query: UploadListParams): Promise<UploadPage> {
  const params = { params: { query } };
  return kind === "training_data"
    ? unwrap(api.GET("/api/v1/training_data/", params))
    : unwrap(api.GET("/api/v1/item_meta_data/", params));
}

function fetchOne(kind: UploadKind, id: number): Promise<Upload> {
  const params = { params: { path: { id } } };
  return kind === "training_data"
    ? unwrap(api.GET("/api/v1/training_data/{id}/", params))
    : unwrap(api.GET("/api/v1/item_meta_data/{id}/", params));
}

function fetchPreview(kind: UploadKind, id: number) {
  const params = { params: { path: { id }, query: { n_rows: PREVIEW_ROWS } } };
  return kind === "training_data"
    ? unwrap(api.GET("/api/v1/training_data/{id}/preview/", params))
    : unwrap(api.GET("/api/v1/item_meta_data/{id}/preview/", params));
}

export function useUploadList(kind: MaybeRefOrGetter<UploadKind>, params: MaybeRefOrGetter<UploadListParams>) {
  return useQuery({
    queryKey: computed(() => uploadKeys.list(toValue(kind), toValue(params))),
    queryFn: () => fetchList(toValue(kind), toValue(params)),
    placeholderData: keepPreviousData,
    // Keep statuses moving while any upload on the page is still being validated.
    refetchInterval: (query) =>
      query.state.data?.results.some((row) => UNSETTLED.includes(row.validation_status)) ? POLL_MS : false,
  });
}

export function useUpload(kind: MaybeRefOrGetter<UploadKind>, id: MaybeRefOrGetter<number>) {
  return useQuery({
    queryKey: computed(() => uploadKeys.detail(toValue(kind), toValue(id))),
    queryFn: () => fetchOne(toValue(kind), toValue(id)),
    refetchInterval: (query) =>
      query.state.data && UNSETTLED.includes(query.state.data.validation_status) ? POLL_MS : false,
  });
}

export function useUploadPreview(
  kind: MaybeRefOrGetter<UploadKind>,
  id: MaybeRefOrGetter<number>,
  enabled: MaybeRefOrGetter<boolean>,
) {
  return useQuery({
    queryKey: computed(() => uploadKeys.preview(toValue(kind), toValue(id))),
    queryFn: () => fetchPreview(toValue(kind), toValue(id)),
    enabled: () => toValue(enabled),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useUploadLimits() {
  return useQuery({
    queryKey: uploadKeys.limits(),
    queryFn: () => unwrap(api.GET("/api/v1/upload_limits/")),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/** After an upload is added or removed: its lists and its project's counts changed. */
export function useUploadsChanged() {
  const client = useQueryClient();
  return (kind: UploadKind, projectId: number) =>
    Promise.all([
      client.invalidateQueries({ queryKey: uploadKeys.lists(kind) }),
      client.invalidateQueries({ queryKey: projectKeys.summary(projectId) }),
    ]);
}

export function useUploadDelete(kind: MaybeRefOrGetter<UploadKind>) {
  const changed = useUploadsChanged();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (upload: Upload) => {
      const params = { params: { path: { id: upload.id } } };
      return toValue(kind) === "training_data"
        ? unwrap(api.DELETE("/api/v1/training_data/{id}/", params))
        : unwrap(api.DELETE("/api/v1/item_meta_data/{id}/", params));
    },
    onSuccess: (_, upload) => {
      client.removeQueries({ queryKey: uploadKeys.detail(toValue(kind), upload.id) });
      return changed(toValue(kind), upload.project);
    },
  });
}
