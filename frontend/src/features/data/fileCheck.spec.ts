import { describe, expect, it } from "vitest";

import { SpeedMeter } from "@/api/upload";

import { acceptedSuffixes, checkFile, type UploadLimits } from "./fileCheck";

const limits: UploadLimits = {
  max_upload_size: 1000,
  accepted_suffixes: [".csv", ".tsv", ".jsonl", ".parquet"],
  compressed_suffix: ".gz",
};

describe("checkFile", () => {
  it("accepts every format, gzipped or not, in any letter case", () => {
    for (const name of ["a.csv", "a.TSV", "a.jsonl.gz", "b.parquet", "c.csv.gz"]) {
      expect(checkFile({ name, size: 10 }, limits)).toBeNull();
    }
  });

  it("refuses other formats, files over the limit and empty files", () => {
    expect(checkFile({ name: "u.data", size: 10 }, limits)).toEqual({ kind: "format" });
    expect(checkFile({ name: "a.csv.zip", size: 10 }, limits)).toEqual({ kind: "format" });
    expect(checkFile({ name: "a.csv", size: 1001 }, limits)).toEqual({ kind: "size" });
    expect(checkFile({ name: "a.csv", size: 1000 }, limits)).toBeNull();
    expect(checkFile({ name: "a.csv", size: 0 }, limits)).toEqual({ kind: "empty" });
  });

  it("lists what the file picker should offer", () => {
    expect(acceptedSuffixes(limits)).toContain(".parquet.gz");
  });
});

describe("SpeedMeter", () => {
  it("measures over the last seconds, so a stall shows", () => {
    const meter = new SpeedMeter(3000);

    expect(meter.record(0, 0)).toBeNull();
    expect(meter.record(1000, 1000)).toBe(1000);
    expect(meter.record(4000, 2000)).toBe(2000);
    meter.record(4000, 6000);
    expect(meter.record(4000, 7000)).toBe(0);
  });
});
