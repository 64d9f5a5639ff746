import { keepPreviousData, useQuery } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { api, unwrap } from "@/api/http";
import type { operations } from "@/api/schema";

export type UserListParams = NonNullable<operations["users_list"]["parameters"]["query"]>;

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
