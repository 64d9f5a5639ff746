import { QueryClient } from "@tanstack/vue-query";

import { ApiError } from "@/api/errors";

declare module "@tanstack/vue-query" {
  interface Register {
    defaultError: ApiError;
  }
}

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // A refusal (4xx) will not change by asking again; a dropped connection may.
      retry: (failures, error) => error.kind === "network" && failures < 2,
      refetchOnWindowFocus: true,
    },
    mutations: { retry: false },
  },
});
