// The worker runs the generic CT model per slice-range sub-task: a series split by the requester,
// each sub-task's multi-frame file run through the runner, the canonical answers merged back into
// the whole series' answer; the benchmark (whole synthetic series) repeats exactly.
import { mergeCtResults, readSeries, splitSeries, subTaskInput } from "@btt/ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CT_MODEL, ModelRunner, SHIPPED_MODELS } from "../src/model-runner.ts";

const ID = "btt.ct.generic.lesion-slice";

describe("the generic CT model on the compute network", () => {
  let runner: ModelRunner;
  beforeAll(async () => {
    runner = await ModelRunner.open([CT_MODEL]);
  });
  afterAll(async () => {
    await runner?.close();
  });

  it("is a shipped model that answers its benchmark the same way twice", async () => {
    expect(SHIPPED_MODELS).toContain(CT_MODEL);
    expect(runner.models).toEqual([{ id: ID, version: "0.1.0" }]);
    const a = await runner.benchmark(ID, "0.1.0", [3, 4]);
    const b = await runner.benchmark(ID, "0.1.0", [3, 4]);
    expect(a.map((h) => Buffer.from(h).toString("hex"))).toEqual(
      b.map((h) => Buffer.from(h).toString("hex")),
    );
    expect(Buffer.from(a[0]!).equals(Buffer.from(a[1]!))).toBe(false);
  });

  it("runs slice-range sub-tasks whose merged answers equal the whole series' answer", async () => {
    const whole = await CT_MODEL.benchmarkInput(5);
    const direct = JSON.parse(new TextDecoder().decode(await runner.run(ID, whole)));
    expect(direct.format).toBe("btt.ct.canonical/v1");
    const series = readSeries([whole]);
    const tasks = splitSeries(series, { maxSlices: 6 });
    expect(tasks).toHaveLength(4);
    const results = new Map<number, Uint8Array>();
    for (const t of tasks) results.set(t.task, await runner.run(ID, await subTaskInput(series, t)));
    const merged = mergeCtResults(tasks, results);
    expect(merged.slices).toEqual(direct.slices.map((s: { probability_pm: number }) => s.probability_pm));
  });
});
