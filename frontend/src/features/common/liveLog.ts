// Log lines as the job and model WebSockets send them, kept for a live log panel.
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

export function appendLog(lines: readonly LiveLogLine[], line: LiveLogLine): LiveLogLine[] {
  return [...lines, line].slice(-LOG_LINES_KEPT);
}
