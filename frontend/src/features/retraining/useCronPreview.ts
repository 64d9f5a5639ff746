// A cron expression explained by the server as the user types it: asked once they stop
// typing (never per keystroke), each expression and zone asked only once, and an answer
// that arrives after a newer question dropped rather than shown.
import { onScopeDispose, ref, type Ref, watch } from "vue";

import type { ApiError } from "@/api/errors";
import { api, unwrap } from "@/api/http";
import type { components } from "@/api/schema";

export type CronPreview = components["schemas"]["CronPreview"];
export type FetchCronPreview = (expression: string, timezone: string) => Promise<CronPreview>;
export const PREVIEW_DELAY_MS = 400;

export const fetchCronPreview: FetchCronPreview = (expression, timezone) =>
  unwrap(
    api.GET("/api/v1/retraining_schedule/cron_preview/", { params: { query: { cron_expression: expression, timezone } } }),
  );

export function useCronPreview(
  expression: Ref<string>,
  timezone: Ref<string>,
  fetch: FetchCronPreview = fetchCronPreview,
  delayMs = PREVIEW_DELAY_MS,
) {
  const preview = ref<CronPreview | null>(null);
  const error = ref<ApiError | null>(null);
  /** True from the first keystroke until the answer for what is typed now arrives. */
  const pending = ref(false);
  const answers = new Map<string, CronPreview | ApiError>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let latest = "";

  function show(answer: CronPreview | ApiError): void {
    const failed = answer instanceof Error;
    preview.value = failed ? null : answer;
    error.value = failed ? answer : null;
    pending.value = false;
  }

  async function ask(text: string, zone: string): Promise<void> {
    const key = `${text}\u0000${zone}`;
    latest = key;
    const known = answers.get(key);
    if (known !== undefined) return show(known);
    let answer: CronPreview | ApiError;
    try {
      answer = await fetch(text, zone);
    } catch (cause) {
      answer = cause as ApiError;
    }
    // A failure of the network or the server is worth asking again; a verdict on the expression is not.
    if (!(answer instanceof Error) || (answer.kind === "http" && answer.status < 500)) answers.set(key, answer);
    if (latest === key) show(answer);
  }

  watch(
    [expression, timezone],
    ([text, zone]) => {
      clearTimeout(timer);
      const trimmed = text.trim().replace(/\s+/g, " ");
      if (trimmed === "") {
        latest = "";
        preview.value = null;
        error.value = null;
        pending.value = false;
        return;
      }
      pending.value = true;
      timer = setTimeout(() => void ask(trimmed, zone), delayMs);
    },
    { immediate: true },
  );

  onScopeDispose(() => clearTimeout(timer));
  return { preview, error, pending };
}
