// Cookie-authenticated writes carry Django's CSRF token (dj-rest-auth's
// JWT_AUTH_COOKIE_USE_CSRF), read from the csrftoken cookie that auth/csrf/ sets.

export const CSRF_COOKIE = "csrftoken";
export const CSRF_HEADER = "X-CSRFToken";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

export function readCookie(name: string, cookies: string = document.cookie): string | null {
  for (const part of cookies.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return null;
}

export function needsCsrf(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

let pending: Promise<void> | null = null;

/** Makes sure the CSRF cookie exists, asking the backend once for it when missing. */
export async function ensureCsrfCookie(): Promise<string | null> {
  if (readCookie(CSRF_COOKIE) === null) {
    pending ??= fetch("/api/v1/auth/csrf/", { credentials: "same-origin" })
      .then(() => undefined)
      .finally(() => {
        pending = null;
      });
    await pending;
  }
  return readCookie(CSRF_COOKIE);
}
