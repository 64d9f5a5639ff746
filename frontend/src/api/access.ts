// The access cookie lives ACCESS_TOKEN_LIFETIME (five minutes by default). It is renewed
// before it expires, after a 401, and before a long upload. Tabs share one browser's
// cookies, so they also share the expiry time (localStorage holds that time, never a
// token) and renew one at a time through a Web Lock: refresh tokens rotate, and a second
// tab sending the token the first one just rotated would be refused.

const EXPIRY_KEY = "recotem.accessExpiresAt";
const LOCK_NAME = "recotem.refresh";
const REFRESH_URL = "/api/v1/auth/token/refresh/";
/** Renewed this long before it expires, so a request in flight never carries a stale one. */
export const REFRESH_MARGIN_MS = 30_000;

export function accessExpiresAt(): number | null {
  const stored = Number(localStorage.getItem(EXPIRY_KEY));
  return Number.isFinite(stored) && stored > 0 ? stored : null;
}

export function rememberAccessExpiry(iso: string | null): void {
  if (iso === null) localStorage.removeItem(EXPIRY_KEY);
  else localStorage.setItem(EXPIRY_KEY, String(Date.parse(iso)));
}

function validFor(ms: number): boolean {
  const expires = accessExpiresAt();
  return expires !== null && expires - Date.now() > ms;
}

async function exchange(): Promise<boolean> {
  const response = await fetch(REFRESH_URL, { method: "POST", credentials: "same-origin" });
  if (!response.ok) {
    rememberAccessExpiry(null);
    return false;
  }
  const body = (await response.json()) as { access_expiration: string };
  rememberAccessExpiry(body.access_expiration);
  return true;
}

let inFlight: Promise<boolean> | null = null;

/**
 * Renews the access cookie unless it stays valid for `unlessValidForMs` more (another tab
 * may just have renewed it); true when the session goes on.
 */
export function refreshAccess(unlessValidForMs = REFRESH_MARGIN_MS): Promise<boolean> {
  const run = async (): Promise<boolean> => {
    if (validFor(unlessValidForMs)) return true;
    try {
      return await exchange();
    } catch {
      return false;
    }
  };
  const locked = async (): Promise<boolean> => await navigator.locks.request(LOCK_NAME, run);
  inFlight ??= ("locks" in navigator ? locked() : run()).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

type Listener = () => void;
const lostListeners = new Set<Listener>();

/** Called when the session ends on the server side (the refresh token was refused). */
export function onSessionLost(listener: Listener): () => void {
  lostListeners.add(listener);
  return () => lostListeners.delete(listener);
}

export function reportSessionLost(): void {
  for (const listener of lostListeners) listener();
}
