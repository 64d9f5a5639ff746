// Keeps a tuning job page current over its WebSocket: status and trials go into the query
// cache, log lines into a list of their own.
import { useQueryClient } from "@tanstack/vue-query";
import { type MaybeRefOrGetter, onScopeDispose, toValue, watch } from "vue";

import { useLiveLog } from "@/features/common/liveLog";
import { liveUrl, useLiveSocket } from "@/features/common/useLiveSocket";

import { applyStatus, type JobMessage, upsertTrial } from "./live";
import { type Trial, type TuningJob, tuningDetailKeys, tuningKeys, UNFINISHED } from "./queries";

// Parameters and durations of new trials come from the trials endpoint: ask at most this often.
const TRIALS_REFRESH_MS = 2000;

export function useTuningLive(jobId: MaybeRefOrGetter<number>) {
  const client = useQueryClient();
  const logs = useLiveLog();
  let refresh: ReturnType<typeof setTimeout> | undefined;

  function refreshTrialsSoon(id: number): void {
    if (refresh !== undefined) return;
    refresh = setTimeout(() => {
      refresh = undefined;
      void client.invalidateQueries({ queryKey: tuningDetailKeys.trials(id) });
    }, TRIALS_REFRESH_MS);
  }

  function onMessage(message: JobMessage): void {
    const id = toValue(jobId);
    if (message.type === "log") {
      logs.add(message);
      return;
    }
    const before = client.getQueryData<TuningJob>(tuningKeys.detail(id));
    if (before) client.setQueryData(tuningKeys.detail(id), applyStatus(before, message));
    // The page's first fetch is still on its way and may predate this status: fetch again.
    else void client.invalidateQueries({ queryKey: tuningKeys.detail(id), exact: true });
    if (message.last_trial) {
      client.setQueryData<Trial[]>(tuningDetailKeys.trials(id), (trials) => upsertTrial(trials ?? [], message.last_trial));
      refreshTrialsSoon(id);
    }
    if (before && UNFINISHED.includes(before.status) && !UNFINISHED.includes(message.status)) {
      // Finished: timestamps, links and the final trials are only in the REST answers.
      void client.invalidateQueries({ queryKey: tuningKeys.detail(id) });
      void client.invalidateQueries({ queryKey: tuningKeys.lists() });
    }
  }

  watch(
    () => toValue(jobId),
    () => logs.clear(),
  );
  onScopeDispose(() => clearTimeout(refresh));
  const socket = useLiveSocket<JobMessage>(() => liveUrl(`/ws/job/${toValue(jobId)}/`), { onMessage });
  return { logs: logs.lines, state: socket.state };
}
