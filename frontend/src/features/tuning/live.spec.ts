import { describe, expect, it } from "vitest";

import { appendLog, type LiveLogLine, LOG_LINES_KEPT } from "@/features/common/liveLog";

import { algorithmOption, algorithmsOf, bestSoFar, historyOption } from "./charts";
import { applyStatus, type JobStatusMessage, upsertTrial } from "./live";
import type { Trial, TuningJob } from "./queries";

function trial(number: number, algorithm: string, score: number | null): Trial {
  return { number, algorithm, score, state: score === null ? "FAIL" : "COMPLETE", params: { k: number }, scores: {}, duration_seconds: 1, message: "", split_sha256: null, worker: 0 };
}

const lastTrial = { number: 2, algorithm: "IALS", score: 0.3, state: "COMPLETE" };
const status: JobStatusMessage = {
  type: "status",
  status: "RUNNING",
  n_trials_finished: 3,
  n_trials: 10,
  best_score: 0.3,
  best_algorithm: "IALS",
  error_message: "",
  tuned_model: null,
  best_config: null,
  last_trial: lastTrial,
};

describe("the live tuning job", () => {
  it("takes the status message's progress into the cached job", () => {
    const job = { id: 1, status: "PENDING", n_trials_finished: 0, n_trials: 10, best_score: null, best_algorithm: "", basename: "a.csv" } as TuningJob;
    expect(applyStatus(job, status)).toMatchObject({ id: 1, basename: "a.csv", status: "RUNNING", n_trials_finished: 3, best_score: 0.3, best_algorithm: "IALS" });
    expect(applyStatus(job, { ...status, best_algorithm: null }).best_algorithm).toBe("");
  });

  it("adds a new trial in order and keeps the parameters already fetched for a known one", () => {
    const known = [trial(0, "RP3beta", 0.1), trial(3, "IALS", null)];
    const added = upsertTrial(known, status.last_trial);
    expect(added.map((t) => t.number)).toEqual([0, 2, 3]);
    expect(added[1]).toMatchObject({ algorithm: "IALS", score: 0.3, params: {} });

    const again = upsertTrial([trial(2, "IALS", 0.3)], { ...lastTrial, score: 0.31 });
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ score: 0.31, params: { k: 2 } });
  });

  it("keeps the newest log lines only", () => {
    const line = (id: number): LiveLogLine => ({ type: "log", id, level: "INFO", message: `line ${id}`, timestamp: "2026-01-01T00:00:00Z" });
    let lines: LiveLogLine[] = [];
    for (let id = 1; id <= LOG_LINES_KEPT + 5; id += 1) lines = appendLog(lines, [line(id)]);
    expect(lines).toHaveLength(LOG_LINES_KEPT);
    expect(lines.map((l) => l.id).slice(0, 2)).toEqual([6, 7]);
  });
});

describe("the tuning charts", () => {
  const trials = [trial(0, "RP3beta", 0.2), trial(1, "IALS", 0.1), trial(2, "IALS", null), trial(3, "IALS", 0.25), trial(4, "RP3beta", 0.22)];
  const labels = { trial: "Trial", score: "Score", bestSoFar: "Best" };

  it("draws each scored trial once, coloured by algorithm, under the best score so far", () => {
    expect(algorithmsOf(trials)).toEqual(["IALS", "RP3beta"]);
    expect(bestSoFar(trials)).toEqual([[0, 0.2], [1, 0.2], [3, 0.25], [4, 0.25]]);
    const series = historyOption(trials, labels).series as { name: string; data: unknown[] }[];
    expect(series.map((s) => [s.name, s.data.length])).toEqual([["IALS", 2], ["RP3beta", 2], ["Best", 4]]);
  });

  it("gives each algorithm its best score, in the history chart's order", () => {
    const option = algorithmOption(trials, labels) as { xAxis: { data: string[] }; series: { data: number[] }[] };
    expect(option.xAxis.data).toEqual(["IALS", "RP3beta"]);
    expect(option.series.map((s) => s.data)).toEqual([[0.25, 0.22]]);
  });
});
