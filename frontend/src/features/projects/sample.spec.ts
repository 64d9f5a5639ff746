import { describe, expect, it } from "vitest";

import type { TrainedModel } from "@/features/models/queries";
import type { TuningJob } from "@/features/tuning/queries";

import { samplePhase } from "./sample";

const job = (status: TuningJob["status"], tuned_model: number | null = null) => ({ status, tuned_model }) as TuningJob;
const model = (status: TrainedModel["status"]) => ({ status }) as TrainedModel;

describe("samplePhase", () => {
  it("is tuning until the job names its model, then training until the model is COMPLETED", () => {
    expect(samplePhase(undefined, undefined)).toBe("tuning");
    expect(samplePhase(job("PENDING"), undefined)).toBe("tuning");
    expect(samplePhase(job("RUNNING"), undefined)).toBe("tuning");
    expect(samplePhase(job("RUNNING", 7), undefined)).toBe("training");
    expect(samplePhase(job("RUNNING", 7), model("RUNNING"))).toBe("training");
    expect(samplePhase(job("RUNNING", 7), model("COMPLETED"))).toBe("ready");
  });

  it("has failed when the job or its model stopped without a model", () => {
    expect(samplePhase(job("FAILED"), undefined)).toBe("failed");
    expect(samplePhase(job("CANCELLED"), undefined)).toBe("failed");
    expect(samplePhase(job("RUNNING", 7), model("FAILED"))).toBe("failed");
  });
});
