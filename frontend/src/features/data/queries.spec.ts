import { QueryClient } from "@tanstack/vue-query";
import { describe, expect, it } from "vitest";

import { projectKeys } from "@/features/projects/queries";

import { uploadKeys } from "./queries";

// Invalidating a key prefix must reach exactly the queries below it.
describe("query keys", () => {
  it("nest every project list under lists(), apart from details and summaries", async () => {
    const client = new QueryClient();
    client.setQueryData(projectKeys.list({ page: 1 }), "page 1");
    client.setQueryData(projectKeys.list({ page: 2, name__icontains: "a" }), "page 2");
    client.setQueryData(projectKeys.detail(1), "project 1");
    client.setQueryData(projectKeys.summary(1), "summary 1");

    await client.invalidateQueries({ queryKey: projectKeys.lists() });

    const stale = client.getQueryCache().findAll({ stale: true }).map((query) => query.queryKey);
    expect(stale).toEqual([projectKeys.list({ page: 1 }), projectKeys.list({ page: 2, name__icontains: "a" })]);
  });

  it("keep training data and item metadata apart", () => {
    expect(uploadKeys.detail("training_data", 1)).not.toEqual(uploadKeys.detail("item_meta_data", 1));
    expect(uploadKeys.preview("item_meta_data", 3).slice(0, 3)).toEqual(uploadKeys.detail("item_meta_data", 3));
  });
});
