// The schedule form's values, from a saved schedule or the defaults of a new one, and the
// request that saves them.
import type { Schedule, ScheduleInput } from "./queries";

export interface ScheduleForm {
  is_enabled: boolean;
  cron_expression: string;
  timezone: string;
  training_data: number | null;
  retune: boolean;
  model_configuration: number | null;
  split_config: number | null;
  evaluation_config: number | null;
  n_trials: number;
  max_retries: number;
  notify_on_failure: boolean;
  auto_deploy: boolean;
  deploy_slot: number | null;
}

export const NEW_SCHEDULE: ScheduleForm = {
  is_enabled: true,
  cron_expression: "0 2 * * 0",
  timezone: "UTC",
  training_data: null,
  retune: false,
  model_configuration: null,
  split_config: null,
  evaluation_config: null,
  n_trials: 40,
  max_retries: 3,
  notify_on_failure: true,
  auto_deploy: false,
  deploy_slot: null,
};

export function formOf(schedule: Schedule | null): ScheduleForm {
  if (schedule === null) return { ...NEW_SCHEDULE };
  const form = { ...NEW_SCHEDULE };
  for (const key of Object.keys(NEW_SCHEDULE) as (keyof ScheduleForm)[]) {
    const value = schedule[key];
    if (value !== undefined) (form as Record<string, unknown>)[key] = value;
  }
  return form;
}

/** The request for the form; settings of the mode not chosen are cleared, not kept hidden. */
export function inputOf(projectId: number, form: ScheduleForm): ScheduleInput {
  return {
    project: projectId,
    ...form,
    cron_expression: form.cron_expression.trim().replace(/\s+/g, " "),
    model_configuration: form.retune ? null : form.model_configuration,
    split_config: form.retune ? form.split_config : null,
    evaluation_config: form.retune ? form.evaluation_config : null,
    deploy_slot: form.auto_deploy ? form.deploy_slot : null,
  };
}
