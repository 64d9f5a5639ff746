// File uploads go through XMLHttpRequest rather than fetch: only it reports how many bytes
// of a request body were sent, which the progress bar, the speed and the ETA need.
import { refreshAccess } from "./access";
import { CSRF_HEADER, ensureCsrfCookie } from "./csrf";
import { errorFromResponse, networkError } from "./errors";

export interface UploadProgress {
  loaded: number;
  total: number;
  bytesPerSecond: number | null;
}

/** Sending speed over the last few seconds, so a stall shows quickly. */
export class SpeedMeter {
  private samples: { at: number; loaded: number }[] = [];

  constructor(private readonly windowMs = 3000) {}

  record(loaded: number, at: number): number | null {
    this.samples.push({ at, loaded });
    this.samples = this.samples.filter(
      (sample, index) => index >= this.samples.length - 2 || at - sample.at <= this.windowMs,
    );
    const [first] = this.samples;
    const elapsed = first === undefined ? 0 : at - first.at;
    return first !== undefined && elapsed > 0 ? ((loaded - first.loaded) * 1000) / elapsed : null;
  }
}

export async function uploadFile<T>(
  url: string,
  form: FormData,
  options: { onProgress?: (progress: UploadProgress) => void; signal?: AbortSignal } = {},
): Promise<T> {
  // The backend authenticates once the whole body has arrived: start with a fresh access
  // cookie so that a long upload is not refused at its end.
  await refreshAccess(Number.POSITIVE_INFINITY);
  const csrf = await ensureCsrfCookie();
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const meter = new SpeedMeter();
    xhr.open("POST", url);
    if (csrf !== null) xhr.setRequestHeader(CSRF_HEADER, csrf);
    xhr.upload.onprogress = (event) => {
      const bytesPerSecond = meter.record(event.loaded, performance.now());
      options.onProgress?.({ loaded: event.loaded, total: event.total, bytesPerSecond });
    };
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // A proxy's page rather than JSON: errorFromResponse names the status instead.
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(errorFromResponse(xhr.status, body, xhr.getResponseHeader("Retry-After")));
    };
    xhr.onerror = () => reject(networkError(new TypeError("upload failed")));
    xhr.onabort = () => reject(networkError(new DOMException("cancelled", "AbortError")));
    options.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

