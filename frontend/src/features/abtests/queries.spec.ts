import { describe, expect, it } from "vitest";

import { type AbTest, allowedActions } from "./queries";

function test(fields: Partial<AbTest>): AbTest {
  return {
    id: 1,
    project: 1,
    name: "t",
    status: "DRAFT",
    control_slot: 1,
    variant_slot: 2,
    target_metric_name: "ctr",
    min_sample_size: 1000,
    confidence_level: 0.95,
    started_at: null,
    ended_at: null,
    winner_slot: null,
    ins_datetime: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...fields,
  };
}

describe("allowedActions", () => {
  it("offers what the server allows in each state", () => {
    expect(allowedActions(test({ status: "DRAFT" }))).toEqual(["start", "cancel"]);
    expect(allowedActions(test({ status: "RUNNING" }))).toEqual(["stop", "cancel"]);
    expect(allowedActions(test({ status: "COMPLETED" }))).toEqual(["promote"]);
    expect(allowedActions(test({ status: "COMPLETED", winner_slot: 2 }))).toEqual([]);
    expect(allowedActions(test({ status: "CANCELLED" }))).toEqual([]);
  });
});
