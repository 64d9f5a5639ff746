// Keeps a model page current over `/ws/model/<id>/`: status into the query cache, log lines
// into a list of their own.
import { useQueryClient } from "@tanstack/vue-query";
import { type MaybeRefOrGetter, toValue, watch } from "vue";

import { type LiveLogLine, useLiveLog } from "@/features/common/liveLog";
import { type LiveMessage, liveUrl, useLiveSocket } from "@/features/common/useLiveSocket";

import { MODEL_UNFINISHED, modelKeys, type ModelStatus, type TrainedModel } from "./queries";

interface ModelStatusMessage extends LiveMessage {
  type: "status";
  status: ModelStatus;
  error_message: string;
  version_tag: string;
}

export function useModelLive(modelId: MaybeRefOrGetter<number>) {
  const client = useQueryClient();
  const logs = useLiveLog();

  function onMessage(message: ModelStatusMessage | LiveLogLine): void {
    if (message.type === "log") {
      logs.add(message);
      return;
    }
    const key = modelKeys.detail(toValue(modelId));
    const before = client.getQueryData<TrainedModel>(key);
    if (!before) {
      // The page's first fetch is still on its way and may predate this status: fetch again.
      void client.invalidateQueries({ queryKey: key, exact: true });
      return;
    }
    const { status, error_message, version_tag } = message;
    client.setQueryData(key, { ...before, status, error_message, version_tag });
    if (MODEL_UNFINISHED.includes(before.status) && !MODEL_UNFINISHED.includes(status)) {
      // Finished: metrics, size and timings are only in the REST answers.
      void client.invalidateQueries({ queryKey: key, exact: true });
      void client.invalidateQueries({ queryKey: modelKeys.lists() });
    }
  }

  watch(
    () => toValue(modelId),
    () => logs.clear(),
  );
  const socket = useLiveSocket<ModelStatusMessage | LiveLogLine>(() => liveUrl(`/ws/model/${toValue(modelId)}/`), { onMessage });
  return { logs: logs.lines, state: socket.state };
}
