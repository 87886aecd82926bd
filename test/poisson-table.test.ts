/**
 * Poisson by table inversion (src/random/poissonTable.ts): the packed table against an independent
 * f64 pmf (every threshold, kLo, L, b, the guide, h0), the draw against a linear search, χ² of many
 * draws at small, paper-sized and large means, the tail beyond the table forced, the batch packing.
 * GPU = CPU on the tables: test/gpu-vs-cpu.test.ts and test/gpu-wide.test.ts.
 */
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import { beforeAll, describe, expect, it } from 'vitest';
import { DrawStream, seedKey, u01 } from '../src/random/philox.js';
import {
  buildPoissonTable,
  GPU_GUIDE_BITS,
  GUIDE_MAX_BITS,
  NO_TABLE,
  packPoissonTables,
  PoissonTablePack,
  poissonTableWords,
  TABLE_HEADER_WORDS,
  TABLE_MAX_MEAN,
  TABLE_MAX_WORDS,
  TABLE_TAIL_MAX,
  tableDraw,
  tableTail,
} from '../src/random/poissonTable.js';
import { runBatchCpu } from '../src/cpu/engine.js';
import { outputBuffers, submitAndRead, upload } from '../src/gpu/buffers.js';
import { type GpuEngine } from '../src/gpu/engine.js';
import { kernelSource, SIMULATE_KERNEL } from '../src/gpu/kernels.js';
import { ARRIVAL_STATE, SIMULATE_BINDINGS } from '../src/gpu/layout.js';
import { type AgentSpec, type Batch, crossRuns, type FleetSpec, makeBatch, packFleets } from '../src/model/batch.js';
import { summarize } from '../src/model/metrics.js';
import { POLICY } from '../src/model/policies.js';
import { poissonTableMean } from '../src/random/arrivals.js';
import { compareRunMetrics } from './helpers/compare.js';
import { assertNoUncapturedErrors, bothKernels, gpu, gpuSkipReason } from './helpers/gpu.js';
import { rng } from './helpers/seeded.js';
import { RUN_TOLERANCES } from './helpers/tolerances.js';

const f = Math.fround;
const TWO_32 = 2 ** 32;

/**
 * An independent f64 pmf: ln k! summed term by term with Neumaier's compensation (no Stirling series,
 * no recurrence). Its relative error is ~k·2^-53·ln μ (the rounding of k ln μ − μ − ln k!), about
 * 10^-12 at μ = 10^3, 0.005 of a threshold's unit 2^-32: the tolerances below allow 0.02.
 */
function oraclePmf(mu: number, kMax: number): Float64Array {
  const out = new Float64Array(kMax + 1);
  const lnMu = Math.log(mu);
  let sum = 0;
  let comp = 0;
  for (let k = 0; k <= kMax; k++) {
    if (k > 1) {
      const x = Math.log(k);
      const t = sum + x;
      comp += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
      sum = t;
    }
    out[k] = Math.exp(k * lnMu - mu - sum - comp);
  }
  return out;
}

interface Parsed {
  L: number;
  kLo: number;
  b: number;
  h0: number;
  th: Uint32Array;
  guide: Uint32Array;
}

function parse(table: Uint32Array, at = 0): Parsed {
  const L = table[at]!;
  const b = table[at + 2]!;
  const h0 = new Float32Array(new Uint32Array([table[at + 3]!]).buffer)[0]!;
  const th = table.subarray(at + TABLE_HEADER_WORDS, at + TABLE_HEADER_WORDS + L);
  const guide = table.subarray(at + TABLE_HEADER_WORDS + L, at + TABLE_HEADER_WORDS + L + 2 ** b);
  return { L, kLo: table[at + 1]!, b, h0, th, guide };
}

/** A DrawStream stand-in that hands out the given words in order. */
function wordsStream(words: number[]): DrawStream {
  let i = 0;
  return { nextU32: () => words[i++]! } as unknown as DrawStream;
}

const MEANS = [1e-6, 0.003, 0.3, 1, 2.5, 7, 9.99, 10, 25, 40, 45, 80, 123.4, 500, 999.5, TABLE_MAX_MEAN].map(f);

describe('the packed table', () => {
  const CASES = [0, GPU_GUIDE_BITS].flatMap((guideBits) => MEANS.map((mu) => [mu, guideBits] as const));
  it.each(CASES)('holds round(2^32·F) for Poisson(%d) from kLo over L thresholds, the guide (%d bits finer) and h0', (mu, guideBits) => {
    const table = buildPoissonTable(mu, undefined, 0, guideBits);
    const { L, kLo, b, h0, th, guide } = parse(table);
    expect(table.length).toBe(TABLE_HEADER_WORDS + L + 2 ** b);
    expect(poissonTableWords(mu, guideBits)).toBe(table.length);
    const kMax = Math.ceil(mu + 40 * Math.sqrt(mu) + 60);
    const pmf = oraclePmf(mu, kMax);
    const F = new Float64Array(kMax + 1);
    const Q = new Float64Array(kMax + 1); // P(K > k), summed from the top
    for (let k = 0, s = 0; k <= kMax; k++) F[k] = s += pmf[k]!;
    for (let k = kMax, s = 0; k >= 0; k--) {
      Q[k] = s;
      s += pmf[k]!;
    }
    // Every threshold within 0.5 (+ the oracle's error) of 2^32·F, clamped at 2^32 − 1.
    for (let j = 0; j < L; j++) {
      const exact = Math.min(TWO_32 - 1, TWO_32 * F[kLo + j]!);
      expect(Math.abs(th[j]! - exact), `th[${j}]`).toBeLessThanOrEqual(0.5 + 0.02);
      if (j > 0) expect(th[j]!).toBeGreaterThanOrEqual(th[j - 1]!);
    }
    // kLo: no x falls below it (2^32·F(kLo − 1) rounds to 0), and th[0] > 0.
    if (kLo > 0) expect(TWO_32 * F[kLo - 1]!).toBeLessThan(0.5 + 0.02);
    expect(th[0]!).toBeGreaterThan(0);
    // L: the least length with 1 − F(kLo + L − 1) < 2^-32.
    expect(Q[kLo + L - 1]! * TWO_32).toBeLessThan(1 + 1e-6);
    if (L > 1) expect(Q[kLo + L - 2]! * TWO_32).toBeGreaterThan(1 - 1e-6);
    expect(th[L - 1]).toBe(TWO_32 - 1); // so x = 2^32 − 1, one word in 2^32, is the tail
    // b: the least b0 ≥ 1 with 2^b0 ≥ L, made up to guideBits finer while 2^b ≤ 2^GUIDE_MAX_BITS;
    // the guide: the least j with th[j] > g·2^(32−b).
    let b0 = 1;
    while (2 ** b0 < L) b0++;
    expect(b).toBe(b0 + Math.min(guideBits, Math.max(0, GUIDE_MAX_BITS - b0)));
    for (let g = 0; g < 2 ** b; g++) {
      let j = 0;
      while (j < L && th[j]! <= g * 2 ** (32 - b)) j++;
      expect(guide[g], `guide[${g}]`).toBe(j);
    }
    // h0 = P(K = kLo + L | K ≥ kLo + L), to f32 precision.
    const end = kLo + L;
    expect(Math.abs(h0 / (pmf[end]! / Q[end - 1]!) - 1)).toBeLessThan(1e-6);
    // The drawn CDF within 2^-32 of F at every k (the clamped last threshold too: 2^32·F(kLo + L − 1)
    // lies in (2^32 − 1, 2^32]), and so each count's probability within 2^-32 of Poisson(μ)'s, but the
    // table's last count, within 1.5·2^-32 (it gives up to one unit to the tail, whose true mass is below
    // 2^-32: the tail is drawn with probability exactly 2^-32).
    for (let j = 0; j < L; j++) {
      expect(Math.abs(th[j]! - TWO_32 * F[kLo + j]!), `F(${kLo + j})`).toBeLessThanOrEqual(1 + 0.02);
      const drawn = (th[j]! - (j > 0 ? th[j - 1]! : 0)) / TWO_32;
      const bound = j < L - 1 ? 1 : 1.5;
      expect(Math.abs(drawn - pmf[kLo + j]!) * TWO_32, `P(K = ${kLo + j})`).toBeLessThanOrEqual(bound + 0.02);
    }
  });

  it(`stays within TABLE_MAX_WORDS (${TABLE_MAX_WORDS}) words up to TABLE_MAX_MEAN, with either guide`, () => {
    for (const guideBits of [0, GPU_GUIDE_BITS]) {
      let most = 0;
      for (let i = 1; i <= 2000; i++) most = Math.max(most, poissonTableWords(f((TABLE_MAX_MEAN * i) / 2000), guideBits));
      expect(most).toBeLessThanOrEqual(TABLE_MAX_WORDS);
      if (guideBits > 0) expect(most).toBeGreaterThan(TABLE_MAX_WORDS / 2); // the bound is not slack
    }
  });

  it.each(MEANS)('draws the same count for Poisson(%d) through the coarse and the fine guide (every threshold ±1)', (mu) => {
    const coarse = buildPoissonTable(mu);
    const fine = buildPoissonTable(mu, undefined, 0, GPU_GUIDE_BITS);
    expect(parse(fine).b).toBeGreaterThan(parse(coarse).b); // the guide is finer, the thresholds the same
    expect(Array.from(parse(fine).th)).toEqual(Array.from(parse(coarse).th));
    const draws = new DrawStream();
    const xs = [0, 1, TWO_32 - 2, TWO_32 - 1];
    for (const t of parse(coarse).th) xs.push(t, Math.max(0, t - 1), Math.min(TWO_32 - 1, t + 1));
    for (const [s, x] of xs.entries()) {
      draws.reset(3, 4, s, 0, 0, 0);
      const want = tableDraw(coarse, 0, mu, x, draws);
      draws.reset(3, 4, s, 0, 0, 0);
      expect(tableDraw(fine, 0, mu, x, draws), `x ${x}`).toBe(want);
    }
  });

  it('refuses a mean outside (0, TABLE_MAX_MEAN] or not an f32, naming the range', () => {
    for (const bad of [0, -1, Number.NaN, Infinity, TABLE_MAX_MEAN * 2, 0.1]) {
      expect(() => buildPoissonTable(bad)).toThrow(/mean must be an f32 in \(0, 1024\]/);
    }
    expect(() => buildPoissonTable(f(50), new Uint32Array(10))).toThrow(/words needed/);
  });
});

describe('tableDraw', () => {
  it.each([f(0.3), f(7), f(45), f(80), f(1000)])(
    'returns kLo + the least j with x < th[j] for every threshold ±1 and random words (mean %d)',
    (mu) => {
      const table = buildPoissonTable(mu);
      const { L, kLo, th } = parse(table);
      const r = rng(17);
      const xs = [0, 1, 0x7fffffff, 0x80000000, TWO_32 - 2];
      for (const t of th) xs.push(t, Math.max(0, t - 1), Math.min(TWO_32 - 2, t + 1));
      for (let i = 0; i < 20_000; i++) xs.push(Math.floor(r() * (TWO_32 - 1)));
      const none = wordsStream([]);
      for (const x of xs) {
        let j = 0;
        while (j < L && x >= th[j]!) j++;
        if (j === L) continue; // the tail (x = 2^32 − 1 only): below
        expect(tableDraw(table, 0, mu, x, none), `x = ${x}`).toBe(kLo + j);
      }
    },
  );

  it('reads a table at its offset in a packed array', () => {
    const pack = new PoissonTablePack();
    const a = pack.add(f(3));
    const b = pack.add(f(60));
    expect(pack.add(f(3))).toBe(a); // one table per distinct mean
    expect(pack.tables).toBe(2);
    const words = pack.words();
    expect(Array.from(words.subarray(b, b + poissonTableWords(f(60))))).toEqual(Array.from(buildPoissonTable(f(60))));
    const draws = wordsStream([]);
    for (const x of [0, 12345678, 0x9abcdef0, TWO_32 - 2]) {
      expect(tableDraw(words, b, f(60), x, draws)).toBe(tableDraw(buildPoissonTable(f(60)), 0, f(60), x, draws));
    }
  });

  it('packs a batch: one table per distinct mean, NO_TABLE where the mean is 0', () => {
    const means = [f(25), 0, f(80), f(25), f(0.5)];
    const { words, offset } = packPoissonTables(means);
    expect(offset[1]).toBe(NO_TABLE);
    expect(offset[0]).toBe(offset[3]);
    expect(new Set(offset).size).toBe(4);
    expect(words.length).toBe(poissonTableWords(f(25)) + poissonTableWords(f(80)) + poissonTableWords(f(0.5)));
    for (const a of [0, 2, 4]) expect(parse(words, offset[a])).toEqual(parse(buildPoissonTable(means[a]!)));
  });
});

describe('the tail beyond the table (x = 2^32 − 1)', () => {
  it.each([f(1e-6), f(0.3), f(9), f(45), f(80), f(TABLE_MAX_MEAN)])(
    'draws from the conditional law of K ≥ kLo + L by f32 inversion on the next word (mean %d)',
    (mu) => {
      const table = buildPoissonTable(mu);
      const { L, kLo, h0 } = parse(table);
      const start = kLo + L;
      // The f32 inversion: the least k with u < c_k, c as tableTail sums it.
      const expected = (word: number): number => {
        const u = u01(word);
        let k = start;
        let p = h0;
        let c = h0;
        while (u >= c && k < start + TABLE_TAIL_MAX) {
          k++;
          p = f(f(p * mu) / k);
          c = f(c + p);
        }
        return k;
      };
      const counts = new Map<number, number>();
      const n = 4096;
      for (let i = 0; i < n; i++) {
        const word = (i * 0x100000 + 0x7f) >>> 0; // u on an even grid of [0, 1)
        const k = tableDraw(table, 0, mu, TWO_32 - 1, wordsStream([word]));
        expect(k).toBe(expected(word));
        expect(k).toBe(tableTail(start, h0, mu, word));
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      // The tail's conditional law: P(K = start + i | K ≥ start) from the f64 pmf, against the even grid.
      const pmf = oraclePmf(mu, start + TABLE_TAIL_MAX + 10);
      let tailMass = 0;
      for (let k = start; k < pmf.length; k++) tailMass += pmf[k]!;
      let cdf = 0;
      let seen = 0;
      for (let k = start; k < start + 6; k++) {
        cdf += pmf[k]! / tailMass;
        seen += counts.get(k) ?? 0;
        expect(Math.abs(seen / n - cdf), `P(K ≤ ${k} | K ≥ ${start})`).toBeLessThan(2 / n + 1e-5);
      }
      // The word before the tail: the last count of the table.
      expect(tableDraw(table, 0, mu, TWO_32 - 2, wordsStream([]))).toBeLessThanOrEqual(start - 1);
    },
  );

  it('stops after TABLE_TAIL_MAX counts on a uniform past every f32 sum', () => {
    // h0 tiny and u at its top: the search stops at start + TABLE_TAIL_MAX.
    expect(tableTail(10, 1e-30, f(0.001), 0xffffffff)).toBe(10 + TABLE_TAIL_MAX);
  });
});

describe('table draws are Poisson', () => {
  const SAMPLES = 200_000;

  /** Pearson's χ² over bins merged until each expects ≥ 5 counts; returns [χ², degrees of freedom]. */
  function chiSquare(counts: Map<number, number>, mu: number): [number, number] {
    const kMax = Math.ceil(mu + 40 * Math.sqrt(mu) + 60);
    const pmf = oraclePmf(mu, kMax);
    const bins: [number, number][] = []; // [observed, expected]
    let obs = 0;
    let exp = 0;
    for (let k = 0; k <= kMax; k++) {
      obs += counts.get(k) ?? 0;
      exp += pmf[k]! * SAMPLES;
      if (exp >= 5 && (1 - (k < kMax ? sumTo(pmf, k) : 1)) * SAMPLES >= 5) {
        bins.push([obs, exp]);
        obs = 0;
        exp = 0;
      }
    }
    bins.push([obs + restOf(counts, kMax), exp]);
    let chi = 0;
    for (const [o, e] of bins) chi += ((o - e) * (o - e)) / e;
    return [chi, bins.length - 1];
  }
  const sumTo = (pmf: Float64Array, k: number): number => pmf.subarray(0, k + 1).reduce((s, p) => s + p, 0);
  const restOf = (counts: Map<number, number>, kMax: number): number => [...counts].reduce((s, [k, c]) => s + (k > kMax ? c : 0), 0);

  it.each([f(0.3), f(4), f(25), f(45), f(80), f(300), f(TABLE_MAX_MEAN)])('Poisson(%d): mean, variance, χ²', (mu) => {
    const table = buildPoissonTable(mu);
    const [k0, k1] = seedKey(20261207);
    const draws = new DrawStream();
    const counts = new Map<number, number>();
    let sum = 0;
    let squares = 0;
    for (let s = 0; s < SAMPLES; s++) {
      draws.reset(k0, k1, s, 0, 0, 0);
      const k = tableDraw(table, 0, mu, draws.nextU32(), draws);
      counts.set(k, (counts.get(k) ?? 0) + 1);
      sum += k;
      squares += k * k;
    }
    const mean = sum / SAMPLES;
    const variance = (squares - SAMPLES * mean * mean) / (SAMPLES - 1);
    expect(Math.abs(mean - mu)).toBeLessThan(4.5 * Math.sqrt(mu / SAMPLES));
    expect(Math.abs(variance - mu)).toBeLessThan(4.5 * Math.sqrt((2 * mu * mu + mu) / SAMPLES));
    const [chi, df] = chiSquare(counts, mu);
    expect(1 - chisquareCdf(chi, df), `χ² = ${chi.toFixed(1)} on ${df} degrees of freedom`).toBeGreaterThan(1e-4);
  });
});

/**
 * The GPU's table draws against the CPU's. First the WGSL tableCount itself, probed with chosen first
 * words (every threshold ±1, and x = 2^32 − 1: the tail, from the stream's next word); then batches
 * that mix agents with and without tables (PTRS means above TABLE_MAX_MEAN, rate schedules, a trace,
 * gamma and MMPP processes, λ = 0), on the paper's short arrival path and the general one, with one
 * unit or Exp(1) work per request, on both kernels: a table agent's arrivals must be identical, always
 * (no transcendental decides a table draw), the others but for counted threshold cases.
 */
describe.skipIf(!gpu)(gpuSkipReason ?? 'GPU = CPU on the tables', () => {
  /** The probe: query i = words [at, bits(μ), x, stream] from traceCounts[1] + 4i; count into arrivalStates[i].segment. */
  const PROBE = `
@compute @workgroup_size(64)
fn tableProbe(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= traceCounts[0]) {
    return;
  }
  let q = traceCounts[1] + 4u * i;
  var rng = rngStart(vec2<u32>(traceCounts[2], traceCounts[3]), traceCounts[q + 3u], 0u, 0u, 0u);
  let n = tableCount(traceCounts[q], bitcast<f32>(traceCounts[q + 1u]), traceCounts[q + 2u], &rng);
  var s = arrivalStates[i];
  s.segment = n;
  arrivalStates[i] = s;
}
`;

  it('counts every threshold ±1 and the tail (x = 2^32 − 1) as the CPU does, word for word', async () => {
    const { device, sources } = gpu!;
    const seed = 0x5eed7ab1en;
    const [k0, k1] = seedKey(seed);
    const pack = new PoissonTablePack(GPU_GUIDE_BITS); // the GPU engine's guide; the CPU's below is the coarse one
    const HEAD = 4;
    const means = [1e-6, 0.3, 4, 25, 45, 80, 333, TABLE_MAX_MEAN].map(f);
    const ats = means.map((mu) => HEAD + pack.add(mu));
    const tables = pack.words();
    const queries: number[][] = [];
    const bits = new Uint32Array(new Float32Array(means).buffer);
    means.forEach((mu, m) => {
      const { th } = parse(tables, ats[m]! - HEAD);
      const xs = [0, TWO_32 - 2];
      for (const t of th) xs.push(t, Math.max(0, t - 1));
      for (let s = 0; s < 600; s++) xs.push(TWO_32 - 1); // the tail, each from another stream's word
      xs.forEach((x, s) => queries.push([ats[m]!, bits[m]!, x, m * 100_000 + s]));
    });
    const words = new Uint32Array(HEAD + tables.length + 4 * queries.length);
    words.set([queries.length, HEAD + tables.length, k0, k1]);
    words.set(tables, HEAD);
    queries.forEach((q, i) => words.set(q, HEAD + tables.length + 4 * i));

    const module = device.createShaderModule({ code: kernelSource(SIMULATE_KERNEL, sources) + PROBE });
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'tableProbe' } });
    const input = upload(device, 'tableProbe.words', words.buffer, GPUBufferUsage.STORAGE);
    const bytes = queries.length * ARRIVAL_STATE.bytes;
    const out = outputBuffers(device, 'tableProbe.out', bytes);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: SIMULATE_BINDINGS.findIndex((b) => b.name === 'traceCounts'), resource: { buffer: input } },
        { binding: SIMULATE_BINDINGS.findIndex((b) => b.name === 'arrivalStates'), resource: { buffer: out.output } },
      ],
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(queries.length / 64));
    pass.end();
    const got = new Uint32Array(await submitAndRead(device, encoder, out, bytes));
    for (const b of [input, out.output, out.readback]) b.destroy();
    assertNoUncapturedErrors();

    const coarse = means.map((mu) => buildPoissonTable(mu));
    const draws = new DrawStream();
    const wrong: string[] = [];
    let tails = 0;
    queries.forEach(([at, , x, stream], i) => {
      const m = ats.indexOf(at!);
      draws.reset(k0, k1, stream!, 0, 0, 0);
      const want = tableDraw(coarse[m]!, 0, means[m]!, x!, draws);
      const count = got[i * ARRIVAL_STATE.words + ARRIVAL_STATE.word.segment]!;
      if (x === TWO_32 - 1) tails++;
      if (count !== want && wrong.length < 5) wrong.push(`mean ${means[m]} x ${x} stream ${stream}: GPU ${count}, CPU ${want}`);
    });
    expect(wrong).toEqual([]);
    expect(tails).toBeGreaterThanOrEqual(600 * means.length); // and th[L − 1] = 2^32 − 1 itself
  }, 900_000);

  const T = 1e6; // fast servers: the queues stay short, so the comparison is about the arrivals
  const trace = (() => {
    const counts = Uint32Array.from({ length: 240 }, (_, j) => 3 + ((j * 7919) % 5));
    const total = counts.reduce((a, b) => a + b, 0);
    return {
      names: ['synthetic'],
      counts,
      first: Uint32Array.of(0),
      length: Uint32Array.of(counts.length),
      stepsPerBin: Uint32Array.of(1),
      serveGen: Uint8Array.of(0),
      meanRate: Float64Array.of(total / counts.length),
    };
  })();

  /** 30 fleets: table agents at random means, then the others; `general` adds a trace, gamma and MMPP agents. */
  function mixedBatch(general: boolean, work: 'deterministic' | 'exponential'): Batch {
    const r = rng(general ? 91 : 19);
    const fleets: FleetSpec[] = Array.from({ length: 30 }, () => {
      const agents: AgentSpec[] = [
        { T: 40, R: 0.1, P: 1, lambda: 0.01 + 90 * r() },
        { T: 80, R: 0.1, P: 2, lambda: 0.5 + 5 * r() },
        { T, R: 0, P: 1, lambda: work === 'exponential' ? 1500 : 1030 + 3000 * r() }, // PTRS: above TABLE_MAX_MEAN
        { T: 60, R: 0.1, P: 1, lambda: 20 + 20 * r(), schedule: [{ start: 37, multiplier: 1 + 2 * r() }] },
        { T: 50, R: 0.1, P: 3, lambda: 0 },
      ];
      if (general) {
        agents.push(
          { T, R: 0, P: 1, lambda: 10, arrivals: { process: 'poisson', trace: 0 } },
          { T, R: 0, P: 2, lambda: 5 + 10 * r(), arrivals: { process: 'gamma', cv: 2 } },
          { T, R: 0, P: 2, lambda: 8, arrivals: { process: 'mmpp', mmpp: { idc: 10, highFraction: 0.2, peakRatio: 3 } } },
        );
      }
      return { agents };
    });
    // The paper's three and one that allocates after this step's arrivals (the narrow kernel stores its
    // draws): the arrivals are this file's subject; every policy on every path is gpu-vs-cpu's.
    const policies = (['static', 'roundRobin', 'adaptive', 'maxMinFair'] as const).map((p) => POLICY[p]);
    return makeBatch(packFleets(fleets, undefined, general ? trace : undefined), crossRuns(fleets.length, policies, 2), {
      dt: 1,
      steps: 300,
      lmax: 999,
      price: 0.72,
      arrivals: 'poisson',
      seed: general ? 7 : 8,
      work,
      arrivalStats: true,
    });
  }

  let kernels: readonly (readonly ['narrow' | 'wide', GpuEngine])[];
  // Pipeline compilation dominates (a few seconds per kernel on an idle machine, minutes on a loaded one).
  beforeAll(async () => {
    kernels = await bothKernels({ stepsPerDispatch: 128 });
  }, 900_000);

  describe.each([
    ['the paper path', false, 'deterministic'],
    ['the paper path, exponential work', false, 'exponential'],
    ['the general path', true, 'deterministic'],
    ['the general path, exponential work', true, 'exponential'],
  ] as const)('%s', (_, general, work) => {
    it('draws identical arrivals for table agents and agrees within tolerance, on both kernels', async () => {
      const batch = mixedBatch(general, work);
      const cpu = summarize(batch, runBatchCpu(batch));
      const { fleets, config, runs } = batch;
      let tableAgents = 0;
      for (const [kernel, gpuEngine] of kernels) {
        const got = summarize(batch, await gpuEngine.run(batch));
        assertNoUncapturedErrors();
        const wrong: string[] = [];
        const divergent = new Set<number>();
        for (let run = 0; run < runs.count; run++) {
          const f = runs.fleet[run]!;
          for (let i = 0; i < fleets.agentCount[f]!; i++) {
            const j = cpu.totals.agentOffset[run]! + i;
            const table = poissonTableMean(fleets, config, fleets.agentOffset[f]! + i) > 0;
            if (table && kernel === 'narrow') tableAgents++;
            for (const field of ['arrivedSum', 'maxArrivals'] as const) {
              if (got.totals[field][j] === cpu.totals[field][j]) continue;
              if (table) wrong.push(`${kernel} run ${run} agent ${i} ${field}: GPU ${got.totals[field][j]}, CPU ${cpu.totals[field][j]}`);
              else divergent.add(f);
            }
          }
        }
        expect(wrong.slice(0, 5)).toEqual([]);
        expect(divergent.size).toBeLessThanOrEqual(1);
        const skip = (run: number): boolean => divergent.has(runs.fleet[run]!);
        const { reports } = compareRunMetrics(got, cpu, RUN_TOLERANCES, true, (run) => `${kernel} run ${run}`, skip);
        expect(reports.join('\n\n')).toBe('');
      }
      expect(tableAgents).toBeGreaterThanOrEqual(runs.count * 2);
    }, 900_000);
  });
});
