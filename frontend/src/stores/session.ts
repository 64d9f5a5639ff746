// Who is signed in. The tokens stay in the backend's httpOnly cookies; this store keeps
// the user, renews the access cookie before it expires and forgets cached server data
// when the session ends.
import { defineStore } from "pinia";
import { computed, ref } from "vue";

import {
  accessExpiresAt,
  onSessionLost,
  REFRESH_MARGIN_MS,
  refreshAccess,
  rememberAccessExpiry,
} from "@/api/access";
import { ApiError } from "@/api/errors";
import { api, unwrap } from "@/api/http";
import type { components } from "@/api/schema";
import { queryClient } from "@/app/queryClient";

export type User = components["schemas"]["UserDetails"];
export type SessionStatus = "unknown" | "signedIn" | "signedOut";

// When the expiry is unknown (a session restored from cookies), renew after this long.
const UNKNOWN_EXPIRY_RENEWAL_MS = 60_000;

export const useSessionStore = defineStore("session", () => {
  const user = ref<User | null>(null);
  const status = ref<SessionStatus>("unknown");
  const isSignedIn = computed(() => status.value === "signedIn");
  const isAdmin = computed(() => user.value?.is_staff === true);
  let renewal: ReturnType<typeof setTimeout> | undefined;

  function scheduleRenewal(): void {
    clearTimeout(renewal);
    const expires = accessExpiresAt();
    const delay =
      expires === null ? UNKNOWN_EXPIRY_RENEWAL_MS : expires - Date.now() - REFRESH_MARGIN_MS;
    renewal = setTimeout(() => void renew(), Math.max(delay, 0));
  }

  async function renew(): Promise<void> {
    if (await refreshAccess()) scheduleRenewal();
    else end();
  }

  function begin(signedIn: User): void {
    user.value = signedIn;
    status.value = "signedIn";
    scheduleRenewal();
  }

  function end(): void {
    clearTimeout(renewal);
    rememberAccessExpiry(null);
    user.value = null;
    status.value = "signedOut";
    queryClient.clear();
  }

  /** Asks the backend who the cookies belong to; run once before the first route. */
  async function restore(): Promise<void> {
    try {
      begin(await unwrap(api.GET("/api/v1/auth/user/")));
    } catch (error) {
      if (!(error instanceof ApiError && error.isUnauthenticated)) throw error;
      end();
    }
  }

  async function signIn(username: string, password: string): Promise<void> {
    const answer = await unwrap(
      api.POST("/api/v1/auth/login/", { body: { username, password } }),
    );
    rememberAccessExpiry(answer.access_expiration);
    begin(answer.user);
  }

  async function signOut(): Promise<void> {
    try {
      await unwrap(api.POST("/api/v1/auth/logout/", { body: {} }));
    } finally {
      end();
    }
  }

  onSessionLost(() => {
    if (status.value === "signedIn") end();
  });

  return { user, status, isSignedIn, isAdmin, restore, signIn, signOut, renew };
});
