// How fast do canary audits catch a cheating compute node? A share f of tasks are canaries whose
// answer an auditor sealed in advance; a node cannot tell them from real work, so a node that fakes
// an answer is caught on the first canary it fakes. A node faking every answer survives n tasks with
// probability (1 − f)^n; one faking a share q survives with (1 − f·q)^n. This prints those exact
// figures, the least n with P(caught) ≥ 0.99, and checks both with a seeded Monte-Carlo run that
// plays every task. Offline analysis: floats are fine here.
//
//   npm run sim:audit                       # f = 0.05
//   npm run sim:audit -- 0.02 200           # f and n as positionals, or --f 0.02 --n 200
//   npm run sim:audit -- --trials 500000 --seed 7
// Prints a table, then one JSON line last.
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    f: { type: "string" },
    n: { type: "string" },
    trials: { type: "string", default: "200000" },
    seed: { type: "string", default: "20260101" },
    "fake-share": { type: "string", default: "0.1" },
  },
});
const f = Number(values.f ?? positionals[0] ?? "0.05");
const trials = Number(values.trials);
const fakeShare = Number(values["fake-share"]);
const fakePct = Number((fakeShare * 100).toPrecision(6));
const TARGET = 0.99;
if (!(f > 0 && f < 1) || !(fakeShare > 0 && fakeShare <= 1) || !(trials > 0)) {
  throw new Error("need 0 < f < 1, 0 < fake-share ≤ 1 and trials > 0");
}

/** Least n with 1 − (1 − p)^n ≥ target, p the chance that one task catches the node. */
const tasksToCatch = (p: number): number => {
  let n = Math.ceil(Math.log(1 - TARGET) / Math.log(1 - p));
  // Guard the float log against landing one off at an exact boundary.
  while (n > 1 && 1 - (1 - p) ** (n - 1) >= TARGET) n--;
  while (1 - (1 - p) ** n < TARGET) n++;
  return n;
};

/** mulberry32: a small seeded 32-bit generator, good enough for Bernoulli draws at these rates. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Plays `trials` nodes task by task, each task a canary with probability f and faked with probability
 * `share`, up to `horizon` tasks. Returns, per trial, the task on which it was caught (Infinity if never).
 */
function simulate(share: number, horizon: number, seed: number): Float64Array {
  const random = prng(seed);
  const caughtAt = new Float64Array(trials).fill(Number.POSITIVE_INFINITY);
  for (let t = 0; t < trials; t++) {
    for (let task = 1; task <= horizon; task++) {
      const canary = random() < f;
      const faked = share === 1 || random() < share;
      if (canary && faked) {
        caughtAt[t] = task;
        break;
      }
    }
  }
  return caughtAt;
}

const surviving = (caughtAt: Float64Array, n: number): number => {
  let alive = 0;
  for (const c of caughtAt) if (c > n) alive++;
  return alive / caughtAt.length;
};

/** The least n by which the simulated nodes were caught with frequency ≥ target. */
const simulatedTasksToCatch = (caughtAt: Float64Array): number => {
  const sorted = Float64Array.from(caughtAt).sort();
  return sorted[Math.ceil(TARGET * sorted.length) - 1]!;
};

const seed = Number(values.seed);
const nFor99 = tasksToCatch(f);
const n = Number(values.n ?? positionals[1] ?? nFor99);
const fakeNFor99 = tasksToCatch(f * fakeShare);

const t0 = performance.now();
const all = simulate(1, Math.max(n, nFor99) * 4, seed);
const partial = simulate(fakeShare, Math.max(n, fakeNFor99) * 4, seed + 1);
const seconds = (performance.now() - t0) / 1000;

const pct = (p: number) => `${(p * 100).toFixed(3)}%`.padStart(9);
console.log(`canary audits: f = ${f}, ${trials.toLocaleString("en")} simulated nodes per case, seed ${seed}`);
console.log("");
console.log("node fakes   tasks n   P(survive) exact   P(survive) sim   P(caught) exact");
const rows: [string, number, number, Float64Array][] = [];
for (const k of [10, 30, 50, nFor99, n, 2 * nFor99]) rows.push(["every task", f, k, all]);
for (const k of [100, 500, fakeNFor99, n]) rows.push([`${fakePct}% tasks`, f * fakeShare, k, partial]);
const seen = new Set<string>();
for (const [who, p, k, sim] of rows) {
  if (seen.has(`${who}:${k}`)) continue;
  seen.add(`${who}:${k}`);
  const exact = (1 - p) ** k;
  console.log(
    `${who.padEnd(12)} ${String(k).padStart(7)}   ${pct(exact).padStart(16)}   ${pct(surviving(sim, k)).padStart(14)}   ${pct(1 - exact).padStart(15)}`,
  );
}
console.log("");
console.log(
  `faking every answer: caught within ${nFor99} tasks with P ≥ ${TARGET} (exact); simulated 99th percentile ${simulatedTasksToCatch(all)}`,
);
console.log(
  `faking ${fakePct}% of answers: caught within ${fakeNFor99} tasks with P ≥ ${TARGET} (exact); simulated 99th percentile ${simulatedTasksToCatch(partial)}`,
);
console.log(`(${seconds.toFixed(1)} s)`);

const round = (x: number) => Number(x.toPrecision(6));
console.log(
  JSON.stringify({
    f,
    trials,
    seed,
    n_for_99: nFor99,
    [`p_survive_${nFor99}_exact`]: round((1 - f) ** nFor99),
    [`p_survive_${nFor99}_sim`]: round(surviving(all, nFor99)),
    n,
    p_survive_n_exact: round((1 - f) ** n),
    p_survive_n_sim: round(surviving(all, n)),
    n_for_99_sim: simulatedTasksToCatch(all),
    fake_share: fakeShare,
    [`fake${fakePct}pct_n_for_99`]: fakeNFor99,
    [`fake${fakePct}pct_p_survive_${fakeNFor99}_exact`]: round((1 - f * fakeShare) ** fakeNFor99),
    [`fake${fakePct}pct_p_survive_${fakeNFor99}_sim`]: round(surviving(partial, fakeNFor99)),
    [`fake${fakePct}pct_n_for_99_sim`]: simulatedTasksToCatch(partial),
  }),
);
