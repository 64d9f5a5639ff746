// A slot's weight as the user edits it: checked as they type, sent once they stop typing
// (or press Enter), never per keystroke, and only when it differs from what is saved.
import { onScopeDispose, ref, type Ref, watch } from "vue";

export const MIN_WEIGHT = 0;
export const MAX_WEIGHT = 100;
export const SAVE_DELAY_MS = 800;

export type WeightProblem = "required" | "range";

export function weightProblem(value: number | null): WeightProblem | null {
  if (value === null || Number.isNaN(value)) return "required";
  return value < MIN_WEIGHT || value > MAX_WEIGHT ? "range" : null;
}

export function useWeightEdit(saved: Ref<number>, save: (weight: number) => unknown, delayMs = SAVE_DELAY_MS) {
  const draft = ref<number | null>(saved.value);
  const problem = ref<WeightProblem | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;

  // A change saved elsewhere (another tab, a promoted test) shows unless the user is mid-edit.
  watch(saved, (value) => {
    if (timer === undefined) draft.value = value;
  });

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    const value = draft.value;
    problem.value = weightProblem(value);
    if (problem.value === null && value !== null && value !== saved.value) save(value);
  }

  function input(value: number | null): void {
    draft.value = value;
    problem.value = weightProblem(value);
    clearTimeout(timer);
    timer = setTimeout(flush, delayMs);
  }

  onScopeDispose(() => clearTimeout(timer));
  return { draft, problem, input, flush };
}
