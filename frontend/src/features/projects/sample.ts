// Where the MovieLens sample is on its way to serving: its tuning job searches, then trains
// the best configuration found; the model, once COMPLETED, is deployed to the sample's slot.
import type { TrainedModel } from "@/features/models/queries";
import type { TuningJob } from "@/features/tuning/queries";

export const SAMPLE_PHASES = ["tuning", "training", "ready", "failed"] as const;
export type SamplePhase = (typeof SAMPLE_PHASES)[number];

const STOPPED = ["FAILED", "CANCELLED"];

export function samplePhase(job: TuningJob | undefined, model: TrainedModel | undefined): SamplePhase {
  if (model?.status === "COMPLETED") return "ready";
  if ((job && STOPPED.includes(job.status)) || (model && STOPPED.includes(model.status))) return "failed";
  return job?.tuned_model ? "training" : "tuning";
}
