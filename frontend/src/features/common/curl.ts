// Ready-to-run curl commands for the requests a page tells users to send from their own code.

function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export interface CurlRequest {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export function curlCommand({ method, url, headers = {}, body }: CurlRequest): string {
  const lines = [`curl -X ${method} ${quote(url)}`];
  const allHeaders = body === undefined ? headers : { ...headers, "Content-Type": "application/json" };
  for (const [name, value] of Object.entries(allHeaders)) lines.push(`-H ${quote(`${name}: ${value}`)}`);
  if (body !== undefined) lines.push(`-d ${quote(JSON.stringify(body))}`);
  return lines.join(" \\\n  ");
}

/** The proxy's address of the inference service's project endpoint, from this page's origin. */
export function projectPredictUrl(projectId: number, origin = globalThis.location.origin): string {
  return `${origin}/inference/predict/project/${projectId}`;
}
