// Calls the inference service the way the user's application will: through the proxy, with
// a predict key in X-API-Key and no session cookie, so what works here works there.
import { useMutation } from "@tanstack/vue-query";

import { errorFromResponse, networkError } from "@/api/errors";
import { curlCommand, projectPredictUrl } from "@/features/common/curl";

export interface TryInput {
  projectId: number;
  apiKey: string;
  userId: string;
  cutoff: number;
}

export interface ProjectRecommendation {
  model_id: number;
  slot_id: number;
  slot_name: string;
  user_id: string;
  request_id: string;
  fallback?: "popular" | null;
  items: { item_id: string; score: number }[];
}

export function tryRequest({ projectId, apiKey, userId, cutoff }: TryInput) {
  return {
    method: "POST" as const,
    url: projectPredictUrl(projectId),
    headers: { "X-API-Key": apiKey },
    body: { user_id: userId, cutoff },
  };
}

/** The command that sends the same request, with the key left for the user to fill in. */
export function tryCurl(input: TryInput): string {
  return curlCommand({ ...tryRequest(input), headers: { "X-API-Key": "YOUR_PREDICT_KEY" } });
}

export async function predictForProject(input: TryInput): Promise<ProjectRecommendation> {
  const { method, url, headers, body } = tryRequest(input);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      credentials: "omit",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (cause) {
    throw networkError(cause);
  }
  const answer: unknown = await response.json().catch(() => null);
  if (!response.ok) throw errorFromResponse(response.status, answer, response.headers.get("Retry-After"));
  return answer as ProjectRecommendation;
}

export function usePredictTry() {
  return useMutation({ mutationFn: predictForProject });
}
