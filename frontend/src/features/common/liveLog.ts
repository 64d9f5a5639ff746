// Log lines as the job and model WebSockets send them, kept for a live log panel.
import { onScopeDispose, type Ref, shallowRef } from "vue";

import type { LiveMessage } from "./useLiveSocket";

export interface LiveLogLine extends LiveMessage {
  type: "log";
  id: number;
  level: string;
  message: string;
  timestamp: string;
}

/** A log panel keeps this many recent lines; older ones stay in the task log. */
export const LOG_LINES_KEPT = 1000;

/** Lines that arrive within this long of each other are drawn together. */
export const LOG_BATCH_MS = 50;

export function appendLog(lines: readonly LiveLogLine[], added: readonly LiveLogLine[]): LiveLogLine[] {
  return [...lines, ...added].slice(-LOG_LINES_KEPT);
}

/**
 * The lines of a live log panel. Each line is a WebSocket message of its own, and every
 * connection starts with a replay of the recent ones: adding them in batches draws the
 * panel once for a replay of hundreds of lines instead of once per line.
 */
export function useLiveLog(): { lines: Readonly<Ref<readonly LiveLogLine[]>>; add: (line: LiveLogLine) => void; clear: () => void } {
  const lines = shallowRef<readonly LiveLogLine[]>([]);
  let pending: LiveLogLine[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  function flush(): void {
    timer = undefined;
    lines.value = appendLog(lines.value, pending);
    pending = [];
  }

  function add(line: LiveLogLine): void {
    pending.push(line);
    timer ??= setTimeout(flush, LOG_BATCH_MS);
  }

  function clear(): void {
    clearTimeout(timer);
    timer = undefined;
    pending = [];
    lines.value = [];
  }

  onScopeDispose(() => clearTimeout(timer));
  return { lines, add, clear };
}
