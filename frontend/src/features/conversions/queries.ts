import { keepPreviousData, useQuery } from "@tanstack/vue-query";
import { computed, type MaybeRefOrGetter, toValue } from "vue";

import { api, unwrap } from "@/api/http";
import type { components, operations } from "@/api/schema";
import { curlCommand } from "@/features/common/curl";

export type EventType = components["schemas"]["EventTypeEnum"];
export type ConversionListParams = NonNullable<operations["conversion_event_list"]["parameters"]["query"]>;
export const EVENT_TYPES: readonly EventType[] = ["click", "purchase", "impression"];

export const conversionKeys = {
  all: ["conversion_event"] as const,
  list: (params: ConversionListParams) => [...conversionKeys.all, "list", params] as const,
};

export function useConversionList(params: MaybeRefOrGetter<ConversionListParams>) {
  return useQuery({
    queryKey: computed(() => conversionKeys.list(toValue(params))),
    queryFn: () => unwrap(api.GET("/api/v1/conversion_event/", { params: { query: toValue(params) } })),
    placeholderData: keepPreviousData,
  });
}

/** The request an application sends when a user acts on a recommendation it was served. */
export function reportCommand(origin = globalThis.location.origin): string {
  return curlCommand({
    method: "POST",
    url: `${origin}/api/v1/conversion_event/`,
    headers: { "X-API-Key": "YOUR_PREDICT_KEY" },
    body: { recommendation_request_id: "REQUEST_ID_FROM_THE_ANSWER", user_id: "USER_ID", item_id: "ITEM_ID", event_type: "click" },
  });
}
