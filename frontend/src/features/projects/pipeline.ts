// Where a project stands on the way from data to production, and what to do next.
import type { ProjectSummary } from "./queries";

export const PIPELINE_STEPS = ["data", "tuning", "model", "deployment"] as const;
export type PipelineStep = (typeof PIPELINE_STEPS)[number];

export type NextAction =
  | "uploadData"
  | "waitForValidation"
  | "fixData"
  | "tune"
  | "trainModel"
  | "deploy"
  | "watch";

export interface PipelineState {
  /** The first step not done yet; null when every step is done. */
  current: PipelineStep | null;
  next: NextAction;
}

const UNSETTLED = new Set(["PENDING", "VALIDATING"]);

export function pipelineState(summary: ProjectSummary): PipelineState {
  if (summary.n_valid_data === 0) {
    const latest = summary.latest_training_data;
    if (latest === null) return { current: "data", next: "uploadData" };
    return {
      current: "data",
      next: UNSETTLED.has(latest.validation_status) ? "waitForValidation" : "fixData",
    };
  }
  if (summary.n_models === 0) {
    return summary.n_complete_jobs === 0
      ? { current: "tuning", next: "tune" }
      : { current: "model", next: "trainModel" };
  }
  if (summary.n_active_deployment_slots === 0) return { current: "deployment", next: "deploy" };
  return { current: null, next: "watch" };
}

export function stepStatus(step: PipelineStep, state: PipelineState): "done" | "current" | "todo" {
  if (state.current === null) return "done";
  const at = PIPELINE_STEPS.indexOf(state.current);
  const index = PIPELINE_STEPS.indexOf(step);
  return index < at ? "done" : index === at ? "current" : "todo";
}
