// The command line every synthetic-set writer shares: --out DIR (required), --count N, --seed S;
// makes DIR/images. `extra` adds a writer's own string options (e.g. synth.ts's --format).
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";

export async function synthArgs(extra: Record<string, string> = {}) {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      count: { type: "string", default: "100" },
      seed: { type: "string", default: "1" },
      ...Object.fromEntries(
        Object.entries(extra).map(([k, d]) => [k, { type: "string" as const, default: d }]),
      ),
    },
  });
  if (!values.out) throw new Error("--out DIR is required");
  const out = values.out as string;
  await mkdir(join(out, "images"), { recursive: true });
  return {
    out,
    count: Number(values.count),
    seed0: Number(values.seed),
    values: values as Record<string, string | undefined>,
  };
}
