import { describe, expect, it } from "vitest";

import { pipelineState, stepStatus } from "./pipeline";
import type { ProjectSummary } from "./queries";

function summary(overrides: Partial<ProjectSummary> = {}): ProjectSummary {
  return {
    project: 1,
    name: "p",
    ins_datetime: "2024-01-01T00:00:00Z",
    n_data: 0,
    n_valid_data: 0,
    n_item_meta_data: 0,
    n_model_configurations: 0,
    n_models: 0,
    n_tuning_jobs: 0,
    tuning_jobs_by_status: {},
    n_complete_jobs: 0,
    n_deployment_slots: 0,
    n_active_deployment_slots: 0,
    n_api_keys: 0,
    n_active_api_keys: 0,
    latest_training_data: null,
    retraining_schedule: null,
    active_slots: [],
    running_ab_tests: [],
    ...overrides,
  };
}

const latest = (validation_status: "PENDING" | "VALIDATING" | "VALID" | "INVALID") => ({
  id: 4,
  basename: "u.csv",
  validation_status,
  n_rows: null,
  n_users: null,
  n_items: null,
  ins_datetime: "2024-01-01T00:00:00Z",
});

describe("pipelineState", () => {
  it.each([
    ["an empty project", summary(), "data", "uploadData"],
    ["data being validated", summary({ n_data: 1, latest_training_data: latest("VALIDATING") }), "data", "waitForValidation"],
    ["only invalid data", summary({ n_data: 1, latest_training_data: latest("INVALID") }), "data", "fixData"],
    ["valid data", summary({ n_data: 1, n_valid_data: 1 }), "tuning", "tune"],
    ["a finished tuning job", summary({ n_valid_data: 1, n_complete_jobs: 1 }), "model", "trainModel"],
    ["a trained model", summary({ n_valid_data: 1, n_models: 1 }), "deployment", "deploy"],
    ["a deployed model", summary({ n_valid_data: 1, n_models: 1, n_active_deployment_slots: 1 }), null, "watch"],
  ])("knows what comes after %s", (_, state, current, next) => {
    expect(pipelineState(state)).toEqual({ current, next });
  });

  it("marks steps before the current one done", () => {
    const state = pipelineState(summary({ n_valid_data: 1, n_complete_jobs: 1 }));

    expect(["data", "tuning", "model", "deployment"].map((s) => stepStatus(s as never, state))).toEqual([
      "done",
      "done",
      "current",
      "todo",
    ]);
  });
});
