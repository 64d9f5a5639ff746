import { describe, expect, it } from "vitest";

import { AB_TEST_STATUSES, METRICS as AB_TEST_METRICS, TRANSITIONS } from "@/features/abtests/queries";
import { SCOPES } from "@/features/apikeys/queries";
import { EVENT_TYPES } from "@/features/conversions/queries";
import { MODEL_STATUSES, PREVIEW_MODES } from "@/features/models/queries";
import { PIPELINE_STEPS } from "@/features/projects/pipeline";
import { SAMPLE_PHASES } from "@/features/projects/sample";
import { LAST_RUN_STATUSES, RUN_STATUSES, RUN_TRIGGERS } from "@/features/retraining/queries";
import { ACCOUNT_ACTIONS } from "@/features/users/queries";
import { METRICS, SPLIT_SCHEMES, TUNING_STATUSES } from "@/features/tuning/queries";
import { THEMES } from "@/stores/ui";

import { mergeFeatureMessages, type Messages } from "./messages";

const files = import.meta.glob<Messages>("../features/*/{en,ja}.json", { eager: true, import: "default" });
const merged = mergeFeatureMessages(files);

function keys(messages: unknown, prefix = ""): string[] {
  if (typeof messages !== "object" || messages === null) return [prefix];
  return Object.entries(messages).flatMap(([key, value]) => keys(value, prefix ? `${prefix}.${key}` : key));
}

function has(locale: "en" | "ja", key: string): boolean {
  return keys(merged[locale]).includes(key);
}

describe("feature messages", () => {
  it("say the same things in English and Japanese", () => {
    expect(keys(merged.ja).sort()).toEqual(keys(merged.en).sort());
  });

  it("refuse a file whose top-level key is not its feature", () => {
    expect(() => mergeFeatureMessages({ "../features/data/en.json": { projects: {} } })).toThrow(/"data"/);
  });

  // Keys chosen by a value at run time, which the linter cannot follow.
  it.each(["en", "ja"] as const)("name every status, step and theme in %s", (locale) => {
    const expected = [
      ...["PENDING", "VALIDATING", "VALID", "INVALID"].flatMap((s) => [`data.status.${s}`, `data.detail.statusHelp.${s}`]),
      ...PIPELINE_STEPS.map((step) => `projects.pipeline.steps.${step}`),
      ...["uploadData", "waitForValidation", "fixData", "tune", "trainModel", "deploy", "watch"].map(
        (next) => `projects.pipeline.next.${next}`,
      ),
      ...THEMES.map((theme) => `shell.theme.${theme}`),
      ...TUNING_STATUSES.map((status) => `tuning.status.${status}`),
      ...SPLIT_SCHEMES.map((scheme) => `tuning.scheme.${scheme}`),
      ...METRICS.map((metric) => `tuning.metric.${metric}`),
      ...SCOPES.flatMap((scope) => [`apikeys.scopes.${scope}`, `apikeys.scopeHelp.${scope}`]),
      ...["active", "revoked", "expired"].map((state) => `apikeys.state.${state}`),
      ...["required", "range"].map((problem) => `slots.weight.problem.${problem}`),
      ...AB_TEST_STATUSES.map((status) => `abtests.status.${status}`),
      ...AB_TEST_METRICS.map((metric) => `abtests.metric.${metric}`),
      ...EVENT_TYPES.map((type) => `conversions.type.${type}`),
      ...["control", "variant"].map((arm) => `abtests.arm.${arm}`),
      ...[...TRANSITIONS, "promote"].flatMap((action) =>
        ["button", "title", "question", "confirm"].map((part) => `abtests.actions.${action}.${part}`),
      ),
      ...MODEL_STATUSES.map((status) => `models.detail.statusHelp.${status}`),
      ...PREVIEW_MODES.map((mode) => `models.preview.mode.${mode}`),
      ...SAMPLE_PHASES.map((phase) => `projects.sample.phase.${phase}`),
      ...[...RUN_STATUSES, ...LAST_RUN_STATUSES].map((status) => `retraining.status.${status}`),
      ...ACCOUNT_ACTIONS.flatMap((action) => ["named", "title", "question", "confirm"].map((part) => `users.account.${action}.${part}`)),
      ...RUN_TRIGGERS.map((trigger) => `retraining.triggerKind.${trigger}`),
    ];
    expect(expected.filter((key) => !has(locale, key))).toEqual([]);
  });
});
