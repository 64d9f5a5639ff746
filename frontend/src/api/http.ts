// The one way the SPA calls the API: typed by the generated schema, cookie-authenticated,
// with the CSRF header on writes and one silent retry after renewing an expired access
// cookie. It reports failures as ApiError values and leaves toasts and redirects to pages.
import createClient from "openapi-fetch";

import { reportSessionLost, refreshAccess } from "./access";
import { CSRF_HEADER, ensureCsrfCookie, needsCsrf } from "./csrf";
import { errorFromResponse, networkError } from "./errors";
import type { paths } from "./schema";

// Sign-in, refresh and sign-out answer 401 for their own reasons: never retried.
const NO_RETRY = /\/auth\/(login|logout|token\/refresh)\/$/;

export async function send(request: Request, retry = true): Promise<Response> {
  const spare = retry ? request.clone() : null;
  if (needsCsrf(request.method)) {
    const token = await ensureCsrfCookie();
    if (token !== null) request.headers.set(CSRF_HEADER, token);
  }
  const response = await fetch(request);
  if (response.status === 401 && spare !== null && !NO_RETRY.test(new URL(request.url).pathname)) {
    if (await refreshAccess(Number.POSITIVE_INFINITY)) return send(spare, false);
    reportSessionLost();
  }
  return response;
}

export const api = createClient<paths>({
  baseUrl: globalThis.location.origin,
  credentials: "same-origin",
  fetch: (request) => send(request),
});

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The body of a successful answer; an ApiError for anything else. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch (cause) {
    throw networkError(cause);
  }
  const { response } = answer;
  if (!response.ok) {
    throw errorFromResponse(response.status, answer.error, response.headers.get("Retry-After"));
  }
  return answer.data as T;
}
