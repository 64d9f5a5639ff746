import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { api, unwrap } from "@/api/http";
import type { components, operations } from "@/api/schema";

export type User = components["schemas"]["UserDetails"];
export type UserInput = components["schemas"]["UserCreateRequest"];
export type UserChange = Pick<components["schemas"]["UserUpdateRequest"], "email" | "is_staff">;
export type UserListParams = NonNullable<operations["users_list"]["parameters"]["query"]>;
/** What a staff member does to another account from the list, each after confirming it. */
export const ACCOUNT_ACTIONS = ["deactivate", "activate"] as const;
export type AccountAction = (typeof ACCOUNT_ACTIONS)[number];

export const userKeys = {
  all: ["users"] as const,
  list: (params: UserListParams) => [...userKeys.all, "list", params] as const,
};

export function useUserList(params: MaybeRefOrGetter<UserListParams>) {
  return useQuery({
    queryKey: computed(() => userKeys.list(toValue(params))),
    queryFn: () => unwrap(api.GET("/api/v1/users/", { params: { query: toValue(params) } })),
    placeholderData: keepPreviousData,
  });
}

function useUserMutation<V, R>(call: (variables: V) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: call, onSettled: () => client.invalidateQueries({ queryKey: userKeys.all }) });
}

export function useUserCreate() {
  return useUserMutation((input: UserInput) => unwrap(api.POST("/api/v1/users/", { body: input })));
}

export function useUserUpdate() {
  // The schema documents PATCH with the profile's fields only; PUT names the role too.
  return useUserMutation(({ user, change }: { user: User; change: UserChange }) =>
    unwrap(api.PUT("/api/v1/users/{id}/", { params: { path: { id: user.id } }, body: { username: user.username, ...change } })),
  );
}

export function useAccountAction() {
  return useUserMutation(({ id, action }: { id: number; action: AccountAction }) =>
    action === "deactivate"
      ? unwrap(api.POST("/api/v1/users/{id}/deactivate/", { params: { path: { id } } }))
      : unwrap(api.POST("/api/v1/users/{id}/activate/", { params: { path: { id } } })),
  );
}

export function usePasswordReset() {
  return useUserMutation(({ id, password }: { id: number; password: string }) =>
    unwrap(api.POST("/api/v1/users/{id}/reset_password/", { params: { path: { id } }, body: { new_password: password } })),
  );
}
