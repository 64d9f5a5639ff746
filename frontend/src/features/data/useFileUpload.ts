import { ref, shallowRef } from "vue";

import { ApiError } from "@/api/errors";
import { uploadFile, type UploadProgress } from "@/api/upload";

import { type Upload, type UploadKind, uploadUrl, useUploadsChanged } from "./queries";

/** One upload at a time: its progress, its outcome, and a way to cancel it. */
export function useFileUpload() {
  const progress = shallowRef<UploadProgress | null>(null);
  const error = shallowRef<ApiError | null>(null);
  const sending = ref(false);
  const changed = useUploadsChanged();
  let controller: AbortController | null = null;

  async function send(kind: UploadKind, projectId: number, file: File): Promise<Upload | null> {
    controller = new AbortController();
    sending.value = true;
    error.value = null;
    progress.value = { loaded: 0, total: file.size, bytesPerSecond: null };
    const form = new FormData();
    form.append("project", String(projectId));
    form.append("file", file);
    try {
      const created = await uploadFile<Upload>(uploadUrl(kind), form, {
        signal: controller.signal,
        onProgress: (value) => {
          progress.value = value;
        },
      });
      await changed(kind, projectId);
      return created;
    } catch (failure) {
      if (!(failure instanceof ApiError)) throw failure;
      if (failure.kind !== "aborted") error.value = failure;
      progress.value = null;
      return null;
    } finally {
      sending.value = false;
      controller = null;
    }
  }

  function cancel(): void {
    controller?.abort();
  }

  return { progress, error, sending, send, cancel };
}
