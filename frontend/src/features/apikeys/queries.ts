import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { api, unwrap } from "@/api/http";
import type { components, operations } from "@/api/schema";

export type ApiKey = components["schemas"]["ApiKey"];
export type ApiKeyCreated = components["schemas"]["ApiKeyCreated"];
export type ApiKeyInput = components["schemas"]["ApiKeyCreateRequest"];
export type ApiKeyListParams = NonNullable<operations["api_keys_list"]["parameters"]["query"]>;

/** The scopes the backend accepts, in the order the form offers them. */
export const SCOPES = ["predict", "read", "write"] as const;
export type Scope = (typeof SCOPES)[number];

export type ApiKeyState = "active" | "revoked" | "expired";

export function apiKeyState(key: ApiKey, now: number): ApiKeyState {
  if (key.revoked_at !== null || !key.is_active) return "revoked";
  if (key.expires_at !== null && Date.parse(key.expires_at) <= now) return "expired";
  return "active";
}

/** The schema types scopes loosely (a JSON field); the API always answers with a list of names. */
export function scopesOf(key: ApiKey): string[] {
  return Array.isArray(key.scopes) ? key.scopes.filter((scope): scope is string => typeof scope === "string") : [];
}

export const apiKeyKeys = {
  all: ["api_keys"] as const,
  lists: () => [...apiKeyKeys.all, "list"] as const,
  list: (params: ApiKeyListParams) => [...apiKeyKeys.lists(), params] as const,
};

export function useApiKeyList(params: MaybeRefOrGetter<ApiKeyListParams>) {
  return useQuery({
    queryKey: computed(() => apiKeyKeys.list(toValue(params))),
    queryFn: () => unwrap(api.GET("/api/v1/api_keys/", { params: { query: toValue(params) } })),
    placeholderData: keepPreviousData,
  });
}

function useApiKeyMutation<V, R>(call: (variables: V) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSettled: () => client.invalidateQueries({ queryKey: apiKeyKeys.lists() }),
  });
}

export function useApiKeyCreate() {
  return useApiKeyMutation((input: ApiKeyInput) => unwrap(api.POST("/api/v1/api_keys/", { body: input })));
}

export function useApiKeyRevoke() {
  return useApiKeyMutation((id: number) =>
    unwrap(api.POST("/api/v1/api_keys/{id}/revoke/", { params: { path: { id } } })),
  );
}

export function useApiKeyDelete() {
  return useApiKeyMutation((id: number) =>
    unwrap(api.DELETE("/api/v1/api_keys/{id}/", { params: { path: { id } } })),
  );
}
