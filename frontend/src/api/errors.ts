// Every failure of a call to the API, as one typed value the caller can decide on.

export type FieldErrors = Record<string, string[]>;

export type ApiErrorKind =
  /** The server answered with an error status (the envelope's code says which). */
  | "http"
  /** No answer: the network or the server is down. */
  | "network"
  /** The caller cancelled the request. */
  | "aborted";

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldErrors = {},
    /** Seconds to wait before trying again (429 and 503 answers). */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get isUnauthenticated(): boolean {
    return this.status === 401;
  }

  /** The first message of a field, for showing it next to that field. */
  fieldMessage(field: string): string | undefined {
    return this.fields[field]?.[0];
  }

  /** The same error with its fields under `prefix.`, for a form that saves several objects. */
  withFieldPrefix(prefix: string): ApiError {
    const fields = Object.fromEntries(Object.entries(this.fields).map(([name, messages]) => [`${prefix}.${name}`, messages]));
    return new ApiError(this.kind, this.status, this.code, this.message, fields, this.retryAfter);
  }
}

interface Envelope {
  error: { code: string; message: string; fields?: Record<string, unknown> };
}

function isEnvelope(body: unknown): body is Envelope {
  if (typeof body !== "object" || body === null || !("error" in body)) return false;
  const error = (body as { error: unknown }).error;
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    typeof (error as { message?: unknown }).message === "string"
  );
}

function flattenFields(fields: Record<string, unknown> | undefined): FieldErrors {
  const flat: FieldErrors = {};
  for (const [name, value] of Object.entries(fields ?? {})) {
    const messages = Array.isArray(value) ? value : [value];
    flat[name] = messages.map((message) =>
      typeof message === "string" ? message : JSON.stringify(message),
    );
  }
  return flat;
}

export function parseRetryAfter(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** The ApiError for an error answer; `body` is its parsed JSON, or its text when not JSON. */
export function errorFromResponse(
  status: number,
  body: unknown,
  retryAfterHeader: string | null,
): ApiError {
  const retryAfter = parseRetryAfter(retryAfterHeader);
  if (isEnvelope(body)) {
    const { code, message, fields } = body.error;
    return new ApiError("http", status, code, message, flattenFields(fields), retryAfter);
  }
  // A proxy's own page (a 502 from a load balancer, say) rather than the API's envelope.
  return new ApiError("http", status, `http_${status}`, `HTTP ${status}`, {}, retryAfter);
}

export function networkError(cause: unknown): ApiError {
  if (cause instanceof DOMException && cause.name === "AbortError") {
    return new ApiError("aborted", 0, "aborted", "The request was cancelled.");
  }
  return new ApiError("network", 0, "network_error", "The server could not be reached.");
}
