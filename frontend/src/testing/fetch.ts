// A scripted fetch for unit tests: each call takes the next answer and is recorded.
import { vi } from "vitest";

export interface Answer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function jsonResponse({ status = 200, body = {}, headers = {} }: Answer): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

export function scriptFetch(...answers: Answer[]) {
  const calls: Request[] = [];
  const mock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), location.origin), init);
    calls.push(request);
    const next = answers.shift();
    if (next === undefined) throw new Error(`unexpected ${request.method} ${request.url}`);
    return jsonResponse(next);
  });
  vi.stubGlobal("fetch", mock);
  return { calls, paths: () => calls.map((c) => `${c.method} ${new URL(c.url).pathname}`) };
}
