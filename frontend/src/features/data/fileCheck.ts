// The checks the server makes first, made before sending a byte: a wrong file is refused
// at once instead of after a long upload.
import type { components } from "@/api/schema";

export type UploadLimits = components["schemas"]["UploadLimits"];
export type FileProblem = { kind: "format" } | { kind: "size" } | { kind: "empty" };

export function acceptedSuffixes(limits: UploadLimits): string[] {
  return limits.accepted_suffixes.flatMap((suffix) => [suffix, suffix + limits.compressed_suffix]);
}

export function checkFile(file: { name: string; size: number }, limits: UploadLimits): FileProblem | null {
  const name = file.name.toLowerCase();
  if (!acceptedSuffixes(limits).some((suffix) => name.endsWith(suffix))) return { kind: "format" };
  if (file.size > limits.max_upload_size) return { kind: "size" };
  if (file.size === 0) return { kind: "empty" };
  return null;
}
