// What the job's WebSocket (`/ws/job/<id>/`) says, and how it updates the cached job and
// trials so the page moves without refetching after every trial.
import type { LiveMessage } from "@/features/common/useLiveSocket";

import type { Trial, TuningJob, TuningStatus } from "./queries";

export interface JobStatusMessage extends LiveMessage {
  type: "status";
  status: TuningStatus;
  n_trials_finished: number;
  n_trials: number;
  best_score: number | null;
  best_algorithm: string | null;
  error_message: string;
  tuned_model: number | null;
  best_config: number | null;
  /** The trial that just ended; its parameters arrive with the next trials fetch. */
  last_trial: Pick<Trial, "number" | "algorithm" | "score" | "state"> | null;
}

export interface JobLogMessage extends LiveMessage {
  type: "log";
  id: number;
  level: string;
  message: string;
  timestamp: string;
}

export type JobMessage = JobStatusMessage | JobLogMessage;

/** A log panel keeps this many recent lines; older ones stay in the task log. */
export const LOG_LINES_KEPT = 1000;

export function applyStatus(job: TuningJob, message: JobStatusMessage): TuningJob {
  return {
    ...job,
    status: message.status,
    n_trials_finished: message.n_trials_finished,
    n_trials: message.n_trials,
    best_score: message.best_score,
    best_algorithm: message.best_algorithm ?? "",
    error_message: message.error_message,
    tuned_model: message.tuned_model,
    best_config: message.best_config,
  };
}

/** The trials with `last` in its place by number, keeping what is already known of it. */
export function upsertTrial(trials: readonly Trial[], last: JobStatusMessage["last_trial"]): Trial[] {
  if (last === null) return [...trials];
  const known = trials.find((trial) => trial.number === last.number);
  const merged: Trial = {
    params: {},
    scores: {},
    duration_seconds: null,
    message: "",
    split_sha256: null,
    worker: null,
    ...known,
    ...last,
  };
  return [...trials.filter((trial) => trial.number !== last.number), merged].sort((a, b) => a.number - b.number);
}

export function appendLog(lines: readonly JobLogMessage[], line: JobLogMessage): JobLogMessage[] {
  return [...lines, line].slice(-LOG_LINES_KEPT);
}
