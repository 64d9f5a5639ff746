import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { effectScope, nextTick, ref } from "vue";

import { useWeightEdit, weightProblem } from "./useWeightEdit";

describe("weightProblem", () => {
  it("accepts 0 to 100 and names what is wrong otherwise", () => {
    expect(weightProblem(0)).toBeNull();
    expect(weightProblem(100)).toBeNull();
    expect(weightProblem(37.5)).toBeNull();
    expect(weightProblem(null)).toBe("required");
    expect(weightProblem(-1)).toBe("range");
    expect(weightProblem(100.5)).toBe("range");
  });
});

describe("useWeightEdit", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(initial = 50) {
    const saved = ref(initial);
    const save = vi.fn();
    const scope = effectScope();
    const edit = scope.run(() => useWeightEdit(saved, save, 500));
    if (edit === undefined) throw new Error("the scope did not run");
    return { saved, save, edit, scope };
  }

  it("saves once, after the typing stopped, with the last value", () => {
    const { save, edit } = setup();
    edit.input(7);
    vi.advanceTimersByTime(300);
    edit.input(70);
    vi.advanceTimersByTime(499);
    expect(save).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(save).toHaveBeenCalledExactlyOnceWith(70);
  });

  it("saves at once on Enter, and not again when the delay ends", () => {
    const { save, edit } = setup();
    edit.input(30);
    edit.flush();
    expect(save).toHaveBeenCalledExactlyOnceWith(30);
    vi.advanceTimersByTime(1000);
    expect(save).toHaveBeenCalledTimes(1);
  });

  it("sends neither an invalid weight nor the saved one", () => {
    const { save, edit } = setup();
    edit.input(150);
    expect(edit.problem.value).toBe("range");
    vi.advanceTimersByTime(1000);
    edit.input(50);
    vi.advanceTimersByTime(1000);
    expect(save).not.toHaveBeenCalled();
    expect(edit.problem.value).toBeNull();
  });

  it("follows the saved weight unless the user is typing", async () => {
    const { saved, edit } = setup();
    saved.value = 20;
    await nextTick();
    expect(edit.draft.value).toBe(20);
    edit.input(33);
    saved.value = 90;
    await nextTick();
    expect(edit.draft.value).toBe(33);
  });

  it("sends nothing once its page is gone", () => {
    const { save, edit, scope } = setup();
    edit.input(10);
    scope.stop();
    vi.advanceTimersByTime(1000);
    expect(save).not.toHaveBeenCalled();
  });
});
