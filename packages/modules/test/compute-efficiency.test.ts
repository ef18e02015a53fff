import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  availabilityPpm,
  confirmTier,
  efficiencyPpm,
  HARDWARE_BOUNDS,
  isPlausibleHardware,
  localityPpm,
  PPM,
  shareRewards,
  TIER_REQUIREMENTS,
  type TierHardware,
  tierOf,
} from "../src/compute/efficiency.ts";
import type { Hardware } from "../src/compute/types.ts";

/** Hardware at exactly `tflopsPerW` × `powerW` throughput (tflopsPerW in milli-TFLOPS per W). */
const hw = (gpuCount: number, memoryGb: number, powerW: number, milliPerW: number): TierHardware => ({
  gpuCount,
  memoryGb,
  powerW,
  tflopsMilli: BigInt(milliPerW) * BigInt(powerW),
});

const rtx: Hardware = {
  accelerator: "NVIDIA RTX 4090",
  gpuCount: 1,
  memoryGb: 24,
  tflopsMilli: 900_000n,
  powerW: 450,
  cpuCores: 16,
};

describe("tierOf: the brief's Node Classification table", () => {
  it("places one example of each tier", () => {
    expect(tierOf(hw(1, 8, 200, 2000))).toBe(1); // consumer GPU, 8 GB, 2.0 TFLOPS/W
    expect(tierOf(hw(1, 24, 300, 3000))).toBe(2); // pro GPU, 24 GB, 3.0
    expect(tierOf(hw(4, 96, 1600, 5000))).toBe(3); // four GPUs, 5.0
    expect(tierOf(hw(16, 1280, 12_000, 8000))).toBe(4); // a server cluster, 8.0
  });

  it("gives tier 0 to CPU-only nodes, small GPUs and inefficient ones", () => {
    expect(tierOf(hw(0, 0, 100, 19_000))).toBe(0);
    expect(tierOf(hw(1, 4, 150, 2000))).toBe(0);
    expect(tierOf(hw(1, 24, 450, 1000))).toBe(0);
    expect(tierOf({ gpuCount: 1, memoryGb: 24, powerW: 0, tflopsMilli: 1000n })).toBe(0);
  });

  it("holds each TFLOPS/W threshold exactly", () => {
    const below = (h: TierHardware): TierHardware => ({ ...h, tflopsMilli: h.tflopsMilli - 1n });
    expect(tierOf(hw(1, 8, 200, 1800))).toBe(1);
    expect(tierOf(below(hw(1, 8, 200, 1800)))).toBe(0);
    expect(tierOf(hw(1, 16, 300, 2500))).toBe(2);
    expect(tierOf(below(hw(1, 16, 300, 2500)))).toBe(1);
    expect(tierOf(hw(2, 32, 700, 4000))).toBe(3);
    expect(tierOf(below(hw(2, 32, 700, 4000)))).toBe(2);
    expect(tierOf(hw(8, 640, 6000, 7000))).toBe(4);
    expect(tierOf(below(hw(8, 640, 6000, 7000)))).toBe(3);
  });

  it("holds each memory and accelerator threshold exactly", () => {
    expect(tierOf(hw(1, 7, 200, 9000))).toBe(0);
    expect(tierOf(hw(1, 15, 200, 9000))).toBe(1);
    expect(tierOf(hw(1, 47, 200, 9000))).toBe(2); // one accelerator, under 48 GB
    expect(tierOf(hw(1, 48, 200, 9000))).toBe(3); // one large accelerator
    expect(tierOf(hw(2, 16, 200, 9000))).toBe(3);
    expect(tierOf(hw(2, 15, 200, 9000))).toBe(1); // two small GPUs stay under Tier 2's 16 GB floor
    expect(tierOf(hw(7, 319, 200, 9000))).toBe(3);
    expect(tierOf(hw(8, 64, 200, 9000))).toBe(4);
    expect(tierOf(hw(4, 320, 200, 9000))).toBe(4);
  });

  it("never falls when the hardware gets better, nor rises when it draws more power", () => {
    const hardware = fc.record({
      gpuCount: fc.integer({ min: 0, max: 64 }),
      memoryGb: fc.integer({ min: 0, max: 2000 }),
      powerW: fc.integer({ min: 1, max: 20_000 }),
      tflopsMilli: fc.bigInt({ min: 0n, max: 200_000_000n }),
    });
    fc.assert(
      fc.property(hardware, fc.integer({ min: 0, max: 100 }), (h, more) => {
        const t = tierOf(h);
        expect(tierOf({ ...h, gpuCount: h.gpuCount + more })).toBeGreaterThanOrEqual(t);
        expect(tierOf({ ...h, memoryGb: h.memoryGb + more })).toBeGreaterThanOrEqual(t);
        expect(tierOf({ ...h, tflopsMilli: h.tflopsMilli + BigInt(more) * 1000n })).toBeGreaterThanOrEqual(t);
        expect(tierOf({ ...h, powerW: h.powerW + more })).toBeLessThanOrEqual(t);
      }),
    );
  });

  it("lists its thresholds ascending", () => {
    expect(TIER_REQUIREMENTS.map((r) => r.tier)).toEqual([1, 2, 3, 4]);
    expect(TIER_REQUIREMENTS.map((r) => r.minTflopsMilliPerW)).toEqual([1800, 2500, 4000, 7000]);
  });
});

describe("confirmTier", () => {
  const declared = hw(2, 48, 1000, 4000); // 4,000,000 milli-TFLOPS: exactly Tier 3

  it("keeps the tier when the benchmark matches or beats the declaration", () => {
    expect(confirmTier(declared, 4_000_000n, 20_000n)).toEqual({
      tier: 3,
      demoted: false,
      effectiveTflopsMilli: 4_000_000n,
    });
    expect(confirmTier(declared, 9_000_000n, 20_000n)).toEqual({
      tier: 3,
      demoted: false,
      effectiveTflopsMilli: 4_000_000n,
    });
  });

  it("credits the measurement, and demotes only beyond the tolerance", () => {
    // 2% tolerance: 3,920,000 is the least that is not a false declaration.
    expect(confirmTier(declared, 3_920_000n, 20_000n)).toEqual({
      tier: 2,
      demoted: false,
      effectiveTflopsMilli: 3_920_000n,
    });
    expect(confirmTier(declared, 3_919_999n, 20_000n)).toEqual({
      tier: 2,
      demoted: true,
      effectiveTflopsMilli: 3_919_999n,
    });
    expect(confirmTier(declared, 0n, 20_000n)).toEqual({ tier: 0, demoted: true, effectiveTflopsMilli: 0n });
  });

  it("with zero tolerance demotes any shortfall; with full tolerance none", () => {
    expect(confirmTier(declared, 3_999_999n, 0n).demoted).toBe(true);
    expect(confirmTier(declared, 0n, PPM).demoted).toBe(false);
  });

  it("rejects a tolerance outside 0..1,000,000 ppm and a negative measurement", () => {
    expect(() => confirmTier(declared, 1n, -1n)).toThrow(RangeError);
    expect(() => confirmTier(declared, 1n, PPM + 1n)).toThrow(RangeError);
    expect(() => confirmTier(declared, -1n, 0n)).toThrow(RangeError);
  });

  it("never confirms more than was declared or measured", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 8, max: 1000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.bigInt({ min: 0n, max: 100_000_000n }),
        fc.bigInt({ min: 0n, max: 100_000_000n }),
        fc.bigInt({ min: 0n, max: PPM }),
        (gpuCount, memoryGb, powerW, tflopsMilli, measured, tolerance) => {
          const h = { gpuCount, memoryGb, powerW, tflopsMilli };
          const c = confirmTier(h, measured, tolerance);
          expect(c.effectiveTflopsMilli <= tflopsMilli && c.effectiveTflopsMilli <= measured).toBe(true);
          expect(c.tier).toBeLessThanOrEqual(tierOf(h));
          if (measured >= tflopsMilli)
            expect(c).toEqual({ tier: tierOf(h), demoted: false, effectiveTflopsMilli: tflopsMilli });
        },
      ),
    );
  });
});

describe("isPlausibleHardware", () => {
  it("accepts real machines", () => {
    expect(isPlausibleHardware(rtx)).toBeUndefined();
    expect(
      isPlausibleHardware({
        accelerator: "NVIDIA H100",
        gpuCount: 8,
        memoryGb: 640,
        tflopsMilli: 31_000_000n,
        powerW: 5600,
        cpuCores: 112,
      }),
    ).toBeUndefined();
    expect(
      isPlausibleHardware({
        accelerator: "cpu",
        gpuCount: 0,
        memoryGb: 0,
        tflopsMilli: 3000n,
        powerW: 250,
        cpuCores: 64,
      }),
    ).toBeUndefined();
  });

  it("accepts each bound itself and rejects one step past it", () => {
    const b = HARDWARE_BOUNDS;
    const cases: [Partial<Hardware>, Partial<Hardware>][] = [
      [
        { gpuCount: b.maxAccelerators, memoryGb: 1000 },
        { gpuCount: b.maxAccelerators + 1, memoryGb: 1000 },
      ],
      [{ memoryGb: b.maxMemoryGbPerAccelerator }, { memoryGb: b.maxMemoryGbPerAccelerator + 1 }],
      [
        { gpuCount: 4, memoryGb: 4 * b.maxMemoryGbPerAccelerator },
        { gpuCount: 4, memoryGb: 4 * b.maxMemoryGbPerAccelerator + 1 },
      ],
      [
        { tflopsMilli: BigInt(b.maxTflopsMilliPerW * 450) },
        { tflopsMilli: BigInt(b.maxTflopsMilliPerW * 450) + 1n },
      ],
      [
        { powerW: b.minPowerW, tflopsMilli: 1000n },
        { powerW: b.minPowerW - 1, tflopsMilli: 1000n },
      ],
      [{ powerW: b.maxPowerW }, { powerW: b.maxPowerW + 1 }],
      [{ cpuCores: b.minCpuCores }, { cpuCores: b.minCpuCores - 1 }],
      [{ cpuCores: b.maxCpuCores }, { cpuCores: b.maxCpuCores + 1 }],
      [
        { gpuCount: 0, memoryGb: 0, tflopsMilli: b.maxCpuTflopsMilli },
        { gpuCount: 0, memoryGb: 0, tflopsMilli: b.maxCpuTflopsMilli + 1n },
      ],
      [{ tflopsMilli: 1n }, { tflopsMilli: 0n }],
      [{ accelerator: "x".repeat(b.maxAcceleratorNameLength) }, { accelerator: "x".repeat(65) }],
    ];
    for (const [ok, bad] of cases) {
      expect(
        isPlausibleHardware({ ...rtx, ...ok }),
        JSON.stringify(ok, (_k, v) => String(v)),
      ).toBeUndefined();
      expect(
        isPlausibleHardware({ ...rtx, ...bad }),
        JSON.stringify(bad, (_k, v) => String(v)),
      ).toBeTypeOf("string");
    }
  });

  it("rejects a GPU node without memory, an empty name and fractional or negative counts", () => {
    expect(isPlausibleHardware({ ...rtx, memoryGb: 0 })).toMatch(/memory/);
    expect(isPlausibleHardware({ ...rtx, accelerator: "" })).toMatch(/name/);
    expect(isPlausibleHardware({ ...rtx, gpuCount: 1.5 })).toMatch(/integers/);
    expect(isPlausibleHardware({ ...rtx, cpuCores: -1 })).toMatch(/integers/);
    expect(isPlausibleHardware({ ...rtx, powerW: Number.NaN })).toMatch(/integers/);
  });
});

describe("availabilityPpm", () => {
  const every = (from: number, to: number, step: number) =>
    Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => BigInt(from + i * step));

  it("is the share of intervals with a heartbeat", () => {
    expect(availabilityPpm(every(5, 1000, 100), 0n, 1000n, 100n)).toBe(PPM);
    expect(availabilityPpm(every(5, 1000, 200), 0n, 1000n, 100n)).toBe(500_000n);
    expect(availabilityPpm([], 0n, 1000n, 100n)).toBe(0n);
    expect(availabilityPpm([999n], 0n, 1000n, 100n)).toBe(100_000n);
  });

  it("counts an interval once, ignores beats outside the window and their order", () => {
    expect(availabilityPpm([10n, 20n, 30n, 99n], 0n, 1000n, 100n)).toBe(100_000n);
    expect(availabilityPpm([1000n, 1050n, -1n, 5n], 0n, 1000n, 100n)).toBe(100_000n);
    expect(availabilityPpm([550n, 150n, 350n], 100n, 700n, 200n)).toBe(PPM);
    expect(availabilityPpm([150n, 350n, 550n], 100n, 700n, 200n)).toBe(PPM);
  });

  it("does not count the trailing open interval against the node, only for it", () => {
    expect(availabilityPpm([10n, 110n], 0n, 250n, 100n)).toBe(PPM);
    expect(availabilityPpm([10n], 0n, 250n, 100n)).toBe(500_000n);
    expect(availabilityPpm([10n, 210n], 0n, 250n, 100n)).toBe(666_666n);
  });

  it("treats an empty or too-short window as fully available", () => {
    expect(availabilityPpm([], 500n, 500n, 100n)).toBe(PPM);
    expect(availabilityPpm([], 500n, 599n, 100n)).toBe(PPM);
    expect(availabilityPpm([550n], 500n, 599n, 100n)).toBe(PPM);
  });

  it("rejects a non-positive interval and a reversed window", () => {
    expect(() => availabilityPpm([], 0n, 10n, 0n)).toThrow(RangeError);
    expect(() => availabilityPpm([], 10n, 9n, 1n)).toThrow(RangeError);
  });

  it("stays within 0..1,000,000 and never falls with one more heartbeat", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 3000n }), { maxLength: 60 }),
        fc.bigInt({ min: 0n, max: 3000n }),
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.bigInt({ min: 0n, max: 2000n }),
        fc.bigInt({ min: 1n, max: 300n }),
        (beats, extra, start, length, interval) => {
          const a = availabilityPpm(beats, start, start + length, interval);
          expect(a >= 0n && a <= PPM).toBe(true);
          expect(availabilityPpm([...beats, extra], start, start + length, interval) >= a).toBe(true);
          expect(availabilityPpm([...beats].reverse(), start, start + length, interval)).toBe(a);
        },
      ),
    );
  });
});

describe("localityPpm", () => {
  it("runs from 0.8 with no local work to 1.0 with all of it", () => {
    expect(localityPpm(0n, 10n)).toBe(800_000n);
    expect(localityPpm(10n, 10n)).toBe(PPM);
    expect(localityPpm(1n, 3n)).toBe(866_666n);
    expect(localityPpm(0n, 0n)).toBe(PPM);
  });

  it("rejects local above total and negatives", () => {
    expect(() => localityPpm(11n, 10n)).toThrow(RangeError);
    expect(() => localityPpm(-1n, 10n)).toThrow(RangeError);
    expect(() => localityPpm(0n, -1n)).toThrow(RangeError);
  });
});

describe("efficiencyPpm", () => {
  const perfect = {
    measuredTflopsMilli: 400_000n,
    powerW: 200,
    successful: 100n,
    total: 100n,
    availabilityPpm: PPM,
    localityPpm: PPM,
  };

  it("is TFLOPS per watt in ppm, times each share in a fixed order", () => {
    expect(efficiencyPpm(perfect)).toBe(2_000_000n);
    // 2,000,000 × 0.97 = 1,940,000; × 0.99 = 1,920,600; × 0.9 = 1,728,540.
    expect(
      efficiencyPpm({ ...perfect, successful: 97n, availabilityPpm: 990_000n, localityPpm: 900_000n }),
    ).toBe(1_728_540n);
    // 1,000,000 / 3 W floors to 333,333,333 ppm; × 1/3 (333,333 ppm) floors again.
    expect(
      efficiencyPpm({ ...perfect, measuredTflopsMilli: 1_000_000n, powerW: 3, successful: 1n, total: 3n }),
    ).toBe(111_110_999n);
  });

  it("gives a node with no settled work a success ratio of 1", () => {
    expect(efficiencyPpm({ ...perfect, successful: 0n, total: 0n })).toBe(2_000_000n);
    expect(efficiencyPpm({ ...perfect, successful: 0n, total: 1n })).toBe(0n);
  });

  it("rejects inputs outside their domain", () => {
    expect(() => efficiencyPpm({ ...perfect, powerW: 0 })).toThrow(RangeError);
    expect(() => efficiencyPpm({ ...perfect, successful: 101n })).toThrow(RangeError);
    expect(() => efficiencyPpm({ ...perfect, availabilityPpm: PPM + 1n })).toThrow(RangeError);
    expect(() => efficiencyPpm({ ...perfect, localityPpm: -1n })).toThrow(RangeError);
    expect(() => efficiencyPpm({ ...perfect, measuredTflopsMilli: -1n })).toThrow(RangeError);
  });

  it("never falls when one factor improves", () => {
    const inputs = fc
      .record({
        measuredTflopsMilli: fc.bigInt({ min: 0n, max: 200_000_000n }),
        powerW: fc.integer({ min: 1, max: 100_000 }),
        total: fc.bigInt({ min: 0n, max: 10_000n }),
        successShare: fc.bigInt({ min: 0n, max: PPM }),
        availabilityPpm: fc.bigInt({ min: 0n, max: PPM }),
        localityPpm: fc.bigInt({ min: 0n, max: PPM }),
      })
      .map(({ successShare, ...x }) => ({ ...x, successful: (x.total * successShare) / PPM }));
    fc.assert(
      fc.property(inputs, fc.bigInt({ min: 0n, max: 1_000_000n }), (x, step) => {
        const e = efficiencyPpm(x);
        const up = (v: bigint, cap: bigint) => (v + step > cap ? cap : v + step);
        expect(efficiencyPpm({ ...x, measuredTflopsMilli: x.measuredTflopsMilli + step }) >= e).toBe(true);
        expect(efficiencyPpm({ ...x, powerW: Math.max(1, x.powerW - Number(step % 1000n)) }) >= e).toBe(true);
        expect(efficiencyPpm({ ...x, successful: up(x.successful, x.total) }) >= e).toBe(true);
        expect(efficiencyPpm({ ...x, availabilityPpm: up(x.availabilityPpm, PPM) }) >= e).toBe(true);
        expect(efficiencyPpm({ ...x, localityPpm: up(x.localityPpm, PPM) }) >= e).toBe(true);
      }),
    );
  });
});

describe("shareRewards", () => {
  const sum = (m: Map<string, bigint>) => [...m.values()].reduce((a, b) => a + b, 0n);

  it("splits pro rata and hands the dust to the largest remainders, ties to the smaller id", () => {
    expect([
      ...shareRewards(100n, [
        { id: "a", weight: 1n },
        { id: "b", weight: 2n },
      ]),
    ]).toEqual([
      ["a", 33n],
      ["b", 67n],
    ]);
    expect([
      ...shareRewards(10n, [
        { id: "c", weight: 5n },
        { id: "b", weight: 5n },
        { id: "a", weight: 5n },
      ]),
    ]).toEqual([
      ["a", 4n],
      ["b", 3n],
      ["c", 3n],
    ]);
  });

  it("pays nothing when every weight is zero, and nothing to a zero weight", () => {
    expect([
      ...shareRewards(1000n, [
        { id: "a", weight: 0n },
        { id: "b", weight: 0n },
      ]),
    ]).toEqual([
      ["a", 0n],
      ["b", 0n],
    ]);
    expect(shareRewards(1000n, [])).toEqual(new Map());
    const m = shareRewards(7n, [
      { id: "a", weight: 0n },
      { id: "b", weight: 3n },
      { id: "c", weight: 3n },
    ]);
    expect([...m]).toEqual([
      ["a", 0n],
      ["b", 4n],
      ["c", 3n],
    ]);
    expect(sum(shareRewards(0n, [{ id: "a", weight: 5n }]))).toBe(0n);
  });

  it("rejects a negative pool, negative weights and repeated ids", () => {
    expect(() => shareRewards(-1n, [])).toThrow(RangeError);
    expect(() => shareRewards(1n, [{ id: "a", weight: -1n }])).toThrow(RangeError);
    expect(() =>
      shareRewards(1n, [
        { id: "a", weight: 1n },
        { id: "a", weight: 2n },
      ]),
    ).toThrow(RangeError);
  });

  const entries = fc.uniqueArray(
    fc.record({
      id: fc.string({ minLength: 1, maxLength: 6 }),
      weight: fc.bigInt({ min: 0n, max: 10n ** 15n }),
    }),
    { selector: (e) => e.id, maxLength: 40 },
  );

  it("pays exactly the pool, each within one unit of its exact share", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n }), entries, (pool, list) => {
        const paid = shareRewards(pool, list);
        const total = list.reduce((a, e) => a + e.weight, 0n);
        expect(sum(paid)).toBe(total > 0n ? pool : 0n);
        for (const e of list) {
          const p = paid.get(e.id)!;
          if (total === 0n || e.weight === 0n) expect(p).toBe(0n);
          else expect(p - (pool * e.weight) / total).toBeOneOf([0n, 1n]);
        }
      }),
    );
  });

  it("does not depend on the entries' order", () => {
    const shuffled = entries.chain((list) =>
      fc.tuple(
        fc.constant(list),
        fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
      ),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), shuffled, (pool, [list, permuted]) => {
        expect([...shareRewards(pool, permuted)]).toEqual([...shareRewards(pool, list)]);
      }),
    );
  });
});
