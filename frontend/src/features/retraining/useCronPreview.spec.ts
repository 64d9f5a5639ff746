import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { effectScope, nextTick, ref } from "vue";

import { ApiError } from "@/api/errors";

import { type CronPreview, useCronPreview } from "./useCronPreview";

const DELAY = 400;

function answer(expression: string): CronPreview {
  return { description: `described ${expression}`, next_runs: ["2026-12-13T02:00:00Z"] };
}

function setUp(fetch: (expression: string, timezone: string) => Promise<CronPreview>) {
  const expression = ref("");
  const timezone = ref("UTC");
  const scope = effectScope();
  const preview = scope.run(() => useCronPreview(expression, timezone, fetch, DELAY));
  if (preview === undefined) throw new Error("the scope did not run");
  return { expression, timezone, scope, ...preview };
}

async function typeSlowly(target: { value: string }, text: string, gapMs: number): Promise<void> {
  for (let end = 1; end <= text.length; end += 1) {
    target.value = text.slice(0, end);
    await nextTick();
    await vi.advanceTimersByTimeAsync(gapMs);
  }
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("useCronPreview", () => {
  it("asks once the user stops typing, not per keystroke", async () => {
    const fetch = vi.fn((expression: string) => Promise.resolve(answer(expression)));
    const state = setUp(fetch);
    await typeSlowly(state.expression, "0 2 * * 0", DELAY / 4);
    expect(fetch).not.toHaveBeenCalled();
    expect(state.pending.value).toBe(true);

    await vi.advanceTimersByTimeAsync(DELAY);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledWith("0 2 * * 0", "UTC");
    expect(state.preview.value?.description).toBe("described 0 2 * * 0");
    expect(state.pending.value).toBe(false);
    state.scope.stop();
  });

  it("shows the server's refusal and asks again when the zone changes", async () => {
    const refusal = new ApiError("http", 400, "validation_error", "bad", { cron_expression: ["Use five fields."] });
    const fetch = vi.fn((expression: string, timezone: string) =>
      timezone === "UTC" ? Promise.reject(refusal) : Promise.resolve(answer(expression)),
    );
    const state = setUp(fetch);
    state.expression.value = "0 2 * *";
    await vi.advanceTimersByTimeAsync(DELAY);
    expect(state.error.value?.fieldMessage("cron_expression")).toBe("Use five fields.");
    expect(state.preview.value).toBeNull();

    state.timezone.value = "Asia/Tokyo";
    await vi.advanceTimersByTimeAsync(DELAY);
    expect(fetch).toHaveBeenLastCalledWith("0 2 * *", "Asia/Tokyo");
    expect(state.error.value).toBeNull();
    expect(state.preview.value).not.toBeNull();
    state.scope.stop();
  });

  it("asks each expression once and ignores spacing", async () => {
    const fetch = vi.fn((expression: string) => Promise.resolve(answer(expression)));
    const state = setUp(fetch);
    state.expression.value = "0 2 * * 0";
    await vi.advanceTimersByTimeAsync(DELAY);
    state.expression.value = "0 3 * * 0";
    await vi.advanceTimersByTimeAsync(DELAY);
    state.expression.value = " 0  2 * * 0 ";
    await vi.advanceTimersByTimeAsync(DELAY);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(state.preview.value?.description).toBe("described 0 2 * * 0");
    state.scope.stop();
  });

  it("drops an answer that arrives after a newer question", async () => {
    const slow: { resolve?: (value: CronPreview) => void } = {};
    const fetch = vi.fn((expression: string) =>
      expression === "0 2 * * 0" ? new Promise<CronPreview>((resolve) => (slow.resolve = resolve)) : Promise.resolve(answer(expression)),
    );
    const state = setUp(fetch);
    state.expression.value = "0 2 * * 0";
    await vi.advanceTimersByTimeAsync(DELAY);
    state.expression.value = "0 4 * * 0";
    await vi.advanceTimersByTimeAsync(DELAY);
    slow.resolve?.(answer("0 2 * * 0"));
    await vi.advanceTimersByTimeAsync(0);
    expect(state.preview.value?.description).toBe("described 0 4 * * 0");
    state.scope.stop();
  });

  it("clears the preview and asks nothing for an empty field", async () => {
    const fetch = vi.fn((expression: string) => Promise.resolve(answer(expression)));
    const state = setUp(fetch);
    state.expression.value = "   ";
    await vi.advanceTimersByTimeAsync(DELAY);
    expect(fetch).not.toHaveBeenCalled();
    expect(state.pending.value).toBe(false);
    state.scope.stop();
  });
});
