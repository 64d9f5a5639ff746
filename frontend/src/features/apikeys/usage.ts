import { curlCommand, projectPredictUrl } from "@/features/common/curl";

/** A first request a new key can make: a prediction when it may predict, else a read. */
export function firstRequest(key: string, projectId: number, scopes: readonly string[], origin = globalThis.location.origin): string {
  const headers = { "X-API-Key": key };
  if (scopes.includes("predict")) {
    return curlCommand({ method: "POST", url: projectPredictUrl(projectId, origin), headers, body: { user_id: "USER_ID", cutoff: 10 } });
  }
  return curlCommand({ method: "GET", url: `${origin}/api/v1/deployment_slot/?project=${projectId}`, headers });
}
