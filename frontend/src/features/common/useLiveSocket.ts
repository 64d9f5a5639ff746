// A live feed over the platform's WebSockets (`/ws/job/<id>/`, `/ws/model/<id>/`). The
// server replays recent log lines on every connect, so after a reconnect the lines already
// seen arrive again: they are dropped by their `id` (log) or `seq` (reference shape).
import { onScopeDispose, readonly, ref, toValue, watch, type MaybeRefOrGetter } from "vue";

import { refreshAccess, reportSessionLost } from "@/api/access";

/** Close codes the server uses for a refused connection (see backend realtime/consumers.py). */
export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;

export type LiveState = "connecting" | "open" | "reconnecting" | "forbidden" | "closed";

export interface LiveMessage {
  type: string;
  id?: number;
  seq?: number;
}

export interface LiveSocketOptions<M extends LiveMessage> {
  onMessage: (message: M) => void;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Renews the access cookie after a 4401; true when the session goes on. */
  renewAccess?: () => Promise<boolean>;
}

/** The WebSocket URL for a path on this origin (`/ws/job/3/` → `wss://host/ws/job/3/`). */
export function liveUrl(path: string): string {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

/** Exponential backoff: initial, 2×, 4×… capped at `maxMs`. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** attempt);
}

/**
 * Keeps a WebSocket to `url` open while the calling scope lives (null: no connection),
 * reconnecting with backoff, and hands each message to `onMessage` once.
 */
export function useLiveSocket<M extends LiveMessage>(url: MaybeRefOrGetter<string | null>, options: LiveSocketOptions<M>) {
  const initialDelayMs = options.initialDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 15_000;
  const renewAccess = options.renewAccess ?? (() => refreshAccess(0));
  const state = ref<LiveState>("closed");
  let socket: WebSocket | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let lastId = 0;
  let lastSeq = -1;

  function isRepeat(message: M): boolean {
    if (typeof message.id === "number" && message.type === "log") {
      if (message.id <= lastId) return true;
      lastId = message.id;
    }
    if (typeof message.seq === "number") {
      if (message.seq <= lastSeq) return true;
      lastSeq = message.seq;
    }
    return false;
  }

  function stop(): void {
    clearTimeout(timer);
    if (socket !== null) {
      const closing = socket;
      socket = null;
      closing.onclose = null;
      closing.close(1000);
    }
  }

  function retry(target: string): void {
    state.value = "reconnecting";
    timer = setTimeout(() => open(target), backoffDelay(attempt, initialDelayMs, maxDelayMs));
    attempt += 1;
  }

  function open(target: string): void {
    const current = new WebSocket(target);
    socket = current;
    // `seq` restarts at 0 on every connection; `id` is global and survives reconnects.
    lastSeq = -1;
    state.value = attempt === 0 ? "connecting" : "reconnecting";
    current.onopen = () => {
      attempt = 0;
      state.value = "open";
    };
    current.onmessage = (event: MessageEvent<string>) => {
      let message: M;
      try {
        message = JSON.parse(event.data) as M;
      } catch {
        return;
      }
      if (message.type === "ping" || message.type === "pong" || isRepeat(message)) return;
      options.onMessage(message);
    };
    current.onclose = (event: CloseEvent) => {
      if (socket !== current) return;
      socket = null;
      if (event.code === CLOSE_FORBIDDEN) {
        state.value = "forbidden";
      } else if (event.code === CLOSE_UNAUTHENTICATED) {
        void renewAccess().then((renewed) => {
          if (renewed) {
            retry(target);
          } else {
            state.value = "closed";
            reportSessionLost();
          }
        });
      } else {
        retry(target);
      }
    };
  }

  watch(
    () => toValue(url),
    (target) => {
      stop();
      attempt = 0;
      lastId = 0;
      state.value = "closed";
      if (target !== null) open(target);
    },
    { immediate: true },
  );
  onScopeDispose(stop);

  return { state: readonly(state) };
}
