import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { effectScope, nextTick, watch } from "vue";

import { LOG_BATCH_MS, type LiveLogLine, useLiveLog } from "./liveLog";

const line = (id: number): LiveLogLine => ({ type: "log", id, level: "INFO", message: `line ${id}`, timestamp: "2026-01-01T00:00:00Z" });

describe("useLiveLog", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("draws a burst of lines, such as a replay on connect, in one update", async () => {
    const scope = effectScope();
    const log = scope.run(() => useLiveLog());
    if (!log) throw new Error("no log");
    let updates = 0;
    scope.run(() => watch(log.lines, () => (updates += 1)));

    for (let id = 1; id <= 300; id += 1) log.add(line(id));
    expect(log.lines.value).toHaveLength(0);
    vi.advanceTimersByTime(LOG_BATCH_MS);
    await nextTick();
    expect(log.lines.value.map((l) => l.id).slice(-2)).toEqual([299, 300]);
    expect(updates).toBe(1);

    log.add(line(301));
    vi.advanceTimersByTime(LOG_BATCH_MS);
    await nextTick();
    expect(log.lines.value).toHaveLength(301);
    expect(updates).toBe(2);
    scope.stop();
  });

  it("forgets lines still waiting when it is cleared", () => {
    const scope = effectScope();
    const log = scope.run(() => useLiveLog());
    if (!log) throw new Error("no log");
    log.add(line(1));
    log.clear();
    log.add(line(2));
    vi.advanceTimersByTime(LOG_BATCH_MS);
    expect(log.lines.value.map((l) => l.id)).toEqual([2]);
    scope.stop();
  });
});
