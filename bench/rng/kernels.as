// AssemblyScript, compiled by bench/rng.ts with assemblyscript's compileString (the `.as` name keeps it
// out of tsc, ESLint and Prettier, which read TypeScript and would not know its types).
//
// Philox4x32-10 and Threefry4x32-20 in WebAssembly, for the generators' benchmark only (bench/NOTES.md
// "Threefry or Philox"): each *Fold function generates `n` blocks of counters (stream, replicate, step,
// agentWord | j), j < n, under the seed key (k0, k1), and returns the exclusive or of all their words so
// that nothing can be dropped. The ...4 variants compute four consecutive blocks at once in the lanes
// of 128-bit SIMD vectors (n a multiple of 4). bench/rng.ts checks every fold against the same fold
// computed by src/random/philox.ts and src/random/threefry.ts before timing it.

const M0: u64 = 0xd2511f53;
const M1: u64 = 0xcd9e8d57;
const W0: u32 = 0x9e3779b9;
const W1: u32 = 0xbb67ae85;
const PARITY: u32 = 0x1bd11bda;

// ---- Philox: the definition, 20 products per block ----

export function philoxFold(n: u32, k0: u32, k1: u32, stream: u32, replicate: u32, step: u32, agentWord: u32): u32 {
  let acc: u32 = 0;
  for (let j: u32 = 0; j < n; j++) {
    let c0 = stream;
    let c1 = replicate;
    let c2 = step;
    let c3 = agentWord | j;
    let key0 = k0;
    let key1 = k1;
    for (let r = 0; r < 10; r++) {
      const p0 = M0 * (c0 as u64);
      const p1 = M1 * (c2 as u64);
      c0 = ((p1 >> 32) as u32) ^ c1 ^ key0;
      c1 = p1 as u32;
      c2 = ((p0 >> 32) as u32) ^ c3 ^ key1;
      c3 = p0 as u32;
      key0 += W0;
      key1 += W1;
    }
    acc ^= c0 ^ c1 ^ c2 ^ c3;
  }
  return acc;
}

// ---- Philox from a per-(stream, replicate, step) prefix, as the CPU engine computes it (philoxPrefix,
// philoxBlock in src/random/philox.ts): 16 products per block ----

export function philoxPrefixFold(n: u32, k0: u32, k1: u32, stream: u32, replicate: u32, step: u32, agentWord: u32): u32 {
  const pre0 = M0 * (stream as u64);
  const pre1 = M1 * (step as u64);
  const a0 = ((pre1 >> 32) as u32) ^ replicate ^ k0;
  const pb = M0 * (a0 as u64);
  const b2 = ((pb >> 32) as u32) ^ (pre0 as u32) ^ (k1 + W1);
  const pc = M1 * (b2 as u64);
  const x0 = ((pre0 >> 32) as u32) ^ (k1);
  const x1 = (pre1 as u32) ^ (k0 + W0);
  const x2 = ((pc >> 32) as u32) ^ (k0 + 2 * W0);
  const x3 = pc as u32;
  const x4 = (pb as u32) ^ (k1 + 2 * W1);
  let acc: u32 = 0;
  for (let j: u32 = 0; j < n; j++) {
    const a2 = x0 ^ (agentWord | j);
    const q1 = M1 * (a2 as u64);
    const b0 = ((q1 >> 32) as u32) ^ x1;
    const q0 = M0 * (b0 as u64);
    let c0 = x2 ^ (q1 as u32);
    let c1 = x3;
    let c2 = ((q0 >> 32) as u32) ^ x4;
    let c3 = q0 as u32;
    let key0 = k0 + 3 * W0;
    let key1 = k1 + 3 * W1;
    for (let r = 3; r < 10; r++) {
      const p0 = M0 * (c0 as u64);
      const p1 = M1 * (c2 as u64);
      c0 = ((p1 >> 32) as u32) ^ c1 ^ key0;
      c1 = p1 as u32;
      c2 = ((p0 >> 32) as u32) ^ c3 ^ key1;
      c3 = p0 as u32;
      key0 += W0;
      key1 += W1;
    }
    acc ^= c0 ^ c1 ^ c2 ^ c3;
  }
  return acc;
}

// ---- Threefry: 20 rounds, key injection after every 4 (key words 2 and 3 zero) ----

export function threefryFold(n: u32, k0: u32, k1: u32, stream: u32, replicate: u32, step: u32, agentWord: u32): u32 {
  const ks0 = k0;
  const ks1 = k1;
  const ks2: u32 = 0;
  const ks3: u32 = 0;
  const ks4 = PARITY ^ k0 ^ k1;
  let acc: u32 = 0;
  for (let j: u32 = 0; j < n; j++) {
    let x0 = stream + ks0;
    let x1 = replicate + ks1;
    let x2 = step + ks2;
    let x3 = (agentWord | j) + ks3;
    // rounds 0–3, injection 1
    x0 += x1; x1 = rotl<u32>(x1, 10) ^ x0; x2 += x3; x3 = rotl<u32>(x3, 26) ^ x2;
    x0 += x3; x3 = rotl<u32>(x3, 11) ^ x0; x2 += x1; x1 = rotl<u32>(x1, 21) ^ x2;
    x0 += x1; x1 = rotl<u32>(x1, 13) ^ x0; x2 += x3; x3 = rotl<u32>(x3, 27) ^ x2;
    x0 += x3; x3 = rotl<u32>(x3, 23) ^ x0; x2 += x1; x1 = rotl<u32>(x1, 5) ^ x2;
    x0 += ks1; x1 += ks2; x2 += ks3; x3 += ks4 + 1;
    // rounds 4–7, injection 2
    x0 += x1; x1 = rotl<u32>(x1, 6) ^ x0; x2 += x3; x3 = rotl<u32>(x3, 20) ^ x2;
    x0 += x3; x3 = rotl<u32>(x3, 17) ^ x0; x2 += x1; x1 = rotl<u32>(x1, 11) ^ x2;
    x0 += x1; x1 = rotl<u32>(x1, 25) ^ x0; x2 += x3; x3 = rotl<u32>(x3, 10) ^ x2;
    x0 += x3; x3 = rotl<u32>(x3, 18) ^ x0; x2 += x1; x1 = rotl<u32>(x1, 20) ^ x2;
    x0 += ks2; x1 += ks3; x2 += ks4; x3 += ks0 + 2;
    // rounds 8–11, injection 3
    x0 += x1; x1 = rotl<u32>(x1, 10) ^ x0; x2 += x3; x3 = rotl<u32>(x3, 26) ^ x2;
    x0 += x3; x3 = rotl<u32>(x3, 11) ^ x0; x2 += x1; x1 = rotl<u32>(x1, 21) ^ x2;
    x0 += x1; x1 = rotl<u32>(x1, 13) ^ x0; x2 += x3; x3 = rotl<u32>(x3, 27) ^ x2;
    x0 += x3; x3 = rotl<u32>(x3, 23) ^ x0; x2 += x1; x1 = rotl<u32>(x1, 5) ^ x2;
    x0 += ks3; x1 += ks4; x2 += ks0; x3 += ks1 + 3;
    // rounds 12–15, injection 4
    x0 += x1; x1 = rotl<u32>(x1, 6) ^ x0; x2 += x3; x3 = rotl<u32>(x3, 20) ^ x2;
    x0 += x3; x3 = rotl<u32>(x3, 17) ^ x0; x2 += x1; x1 = rotl<u32>(x1, 11) ^ x2;
    x0 += x1; x1 = rotl<u32>(x1, 25) ^ x0; x2 += x3; x3 = rotl<u32>(x3, 10) ^ x2;
    x0 += x3; x3 = rotl<u32>(x3, 18) ^ x0; x2 += x1; x1 = rotl<u32>(x1, 20) ^ x2;
    x0 += ks4; x1 += ks0; x2 += ks1; x3 += ks2 + 4;
    // rounds 16–19, injection 5
    x0 += x1; x1 = rotl<u32>(x1, 10) ^ x0; x2 += x3; x3 = rotl<u32>(x3, 26) ^ x2;
    x0 += x3; x3 = rotl<u32>(x3, 11) ^ x0; x2 += x1; x1 = rotl<u32>(x1, 21) ^ x2;
    x0 += x1; x1 = rotl<u32>(x1, 13) ^ x0; x2 += x3; x3 = rotl<u32>(x3, 27) ^ x2;
    x0 += x3; x3 = rotl<u32>(x3, 23) ^ x0; x2 += x1; x1 = rotl<u32>(x1, 5) ^ x2;
    x0 += ks0; x1 += ks1; x2 += ks2; x3 += ks3 + 5;
    acc ^= x0 ^ x1 ^ x2 ^ x3;
  }
  return acc;
}

// ---- Four blocks per iteration in SIMD lanes (j, j + 1, j + 2, j + 3) ----

// @ts-ignore: decorator
@inline function mulhi4(c: v128, m: v128): v128 {
  return i32x4.shuffle(i64x2.extmul_low_i32x4_u(c, m), i64x2.extmul_high_i32x4_u(c, m), 1, 3, 5, 7);
}

export function philoxPrefixFold4(n: u32, k0: u32, k1: u32, stream: u32, replicate: u32, step: u32, agentWord: u32): u32 {
  const pre0 = M0 * (stream as u64);
  const pre1 = M1 * (step as u64);
  const a0 = ((pre1 >> 32) as u32) ^ replicate ^ k0;
  const pb = M0 * (a0 as u64);
  const b2 = ((pb >> 32) as u32) ^ (pre0 as u32) ^ (k1 + W1);
  const pc = M1 * (b2 as u64);
  const x0 = i32x4.splat(((pre0 >> 32) as u32) ^ k1);
  const x1 = i32x4.splat((pre1 as u32) ^ (k0 + W0));
  const x2 = i32x4.splat(((pc >> 32) as u32) ^ (k0 + 2 * W0));
  const x3 = i32x4.splat(pc as u32);
  const x4 = i32x4.splat((pb as u32) ^ (k1 + 2 * W1));
  const m0 = i32x4.splat(M0 as u32);
  const m1 = i32x4.splat(M1 as u32);
  let acc = i32x4.splat(0);
  let lanes = i32x4(0, 1, 2, 3);
  const four = i32x4.splat(4);
  const agent = i32x4.splat(agentWord);
  for (let j: u32 = 0; j < n; j += 4) {
    const a2 = v128.xor(x0, v128.or(agent, lanes));
    lanes = i32x4.add(lanes, four);
    const b0 = v128.xor(mulhi4(a2, m1), x1);
    let c0 = v128.xor(x2, i32x4.mul(a2, m1));
    let c1 = x3;
    let c2 = v128.xor(mulhi4(b0, m0), x4);
    let c3 = i32x4.mul(b0, m0);
    let key0 = k0 + 3 * W0;
    let key1 = k1 + 3 * W1;
    for (let r = 3; r < 10; r++) {
      const hi0 = mulhi4(c0, m0);
      const lo0 = i32x4.mul(c0, m0);
      const hi1 = mulhi4(c2, m1);
      const lo1 = i32x4.mul(c2, m1);
      c0 = v128.xor(v128.xor(hi1, c1), i32x4.splat(key0));
      c1 = lo1;
      c2 = v128.xor(v128.xor(hi0, c3), i32x4.splat(key1));
      c3 = lo0;
      key0 += W0;
      key1 += W1;
    }
    acc = v128.xor(acc, v128.xor(v128.xor(c0, c1), v128.xor(c2, c3)));
  }
  return i32x4.extract_lane(acc, 0) ^ i32x4.extract_lane(acc, 1) ^ i32x4.extract_lane(acc, 2) ^ i32x4.extract_lane(acc, 3);
}

// @ts-ignore: decorator
@inline function rotl4(x: v128, r: u32): v128 {
  return v128.or(i32x4.shl(x, r), i32x4.shr_u(x, 32 - r));
}

export function threefryFold4(n: u32, k0: u32, k1: u32, stream: u32, replicate: u32, step: u32, agentWord: u32): u32 {
  const ks0 = i32x4.splat(k0);
  const ks1 = i32x4.splat(k1);
  const ks2 = i32x4.splat(0);
  const ks3 = i32x4.splat(0);
  const ks4 = i32x4.splat(PARITY ^ k0 ^ k1);
  const s0 = i32x4.splat(stream + k0);
  const s1 = i32x4.splat(replicate + k1);
  const s2 = i32x4.splat(step);
  const agent = i32x4.splat(agentWord);
  let lanes = i32x4(0, 1, 2, 3);
  const four = i32x4.splat(4);
  let acc = i32x4.splat(0);
  for (let j: u32 = 0; j < n; j += 4) {
    let x0 = s0;
    let x1 = s1;
    let x2 = s2;
    let x3 = i32x4.add(v128.or(agent, lanes), ks3);
    lanes = i32x4.add(lanes, four);
    // rounds 0–3, injection 1
    x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 10), x0); x2 = i32x4.add(x2, x3); x3 = v128.xor(rotl4(x3, 26), x2);
    x0 = i32x4.add(x0, x3); x3 = v128.xor(rotl4(x3, 11), x0); x2 = i32x4.add(x2, x1); x1 = v128.xor(rotl4(x1, 21), x2);
    x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 13), x0); x2 = i32x4.add(x2, x3); x3 = v128.xor(rotl4(x3, 27), x2);
    x0 = i32x4.add(x0, x3); x3 = v128.xor(rotl4(x3, 23), x0); x2 = i32x4.add(x2, x1); x1 = v128.xor(rotl4(x1, 5), x2);
    x0 = i32x4.add(x0, ks1); x1 = i32x4.add(x1, ks2); x2 = i32x4.add(x2, ks3); x3 = i32x4.add(x3, i32x4.add(ks4, i32x4.splat(1)));
    // rounds 4–7, injection 2
    x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 6), x0); x2 = i32x4.add(x2, x3); x3 = v128.xor(rotl4(x3, 20), x2);
    x0 = i32x4.add(x0, x3); x3 = v128.xor(rotl4(x3, 17), x0); x2 = i32x4.add(x2, x1); x1 = v128.xor(rotl4(x1, 11), x2);
    x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 25), x0); x2 = i32x4.add(x2, x3); x3 = v128.xor(rotl4(x3, 10), x2);
    x0 = i32x4.add(x0, x3); x3 = v128.xor(rotl4(x3, 18), x0); x2 = i32x4.add(x2, x1); x1 = v128.xor(rotl4(x1, 20), x2);
    x0 = i32x4.add(x0, ks2); x1 = i32x4.add(x1, ks3); x2 = i32x4.add(x2, ks4); x3 = i32x4.add(x3, i32x4.add(ks0, i32x4.splat(2)));
    // rounds 8–11, injection 3
    x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 10), x0); x2 = i32x4.add(x2, x3); x3 = v128.xor(rotl4(x3, 26), x2);
    x0 = i32x4.add(x0, x3); x3 = v128.xor(rotl4(x3, 11), x0); x2 = i32x4.add(x2, x1); x1 = v128.xor(rotl4(x1, 21), x2);
    x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 13), x0); x2 = i32x4.add(x2, x3); x3 = v128.xor(rotl4(x3, 27), x2);
    x0 = i32x4.add(x0, x3); x3 = v128.xor(rotl4(x3, 23), x0); x2 = i32x4.add(x2, x1); x1 = v128.xor(rotl4(x1, 5), x2);
    x0 = i32x4.add(x0, ks3); x1 = i32x4.add(x1, ks4); x2 = i32x4.add(x2, ks0); x3 = i32x4.add(x3, i32x4.add(ks1, i32x4.splat(3)));
    // rounds 12–15, injection 4
    x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 6), x0); x2 = i32x4.add(x2, x3); x3 = v128.xor(rotl4(x3, 20), x2);
    x0 = i32x4.add(x0, x3); x3 = v128.xor(rotl4(x3, 17), x0); x2 = i32x4.add(x2, x1); x1 = v128.xor(rotl4(x1, 11), x2);
    x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 25), x0); x2 = i32x4.add(x2, x3); x3 = v128.xor(rotl4(x3, 10), x2);
    x0 = i32x4.add(x0, x3); x3 = v128.xor(rotl4(x3, 18), x0); x2 = i32x4.add(x2, x1); x1 = v128.xor(rotl4(x1, 20), x2);
    x0 = i32x4.add(x0, ks4); x1 = i32x4.add(x1, ks0); x2 = i32x4.add(x2, ks1); x3 = i32x4.add(x3, i32x4.add(ks2, i32x4.splat(4)));
    // rounds 16–19, injection 5
    x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 10), x0); x2 = i32x4.add(x2, x3); x3 = v128.xor(rotl4(x3, 26), x2);
    x0 = i32x4.add(x0, x3); x3 = v128.xor(rotl4(x3, 11), x0); x2 = i32x4.add(x2, x1); x1 = v128.xor(rotl4(x1, 21), x2);
    x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 13), x0); x2 = i32x4.add(x2, x3); x3 = v128.xor(rotl4(x3, 27), x2);
    x0 = i32x4.add(x0, x3); x3 = v128.xor(rotl4(x3, 23), x0); x2 = i32x4.add(x2, x1); x1 = v128.xor(rotl4(x1, 5), x2);
    x0 = i32x4.add(x0, ks0); x1 = i32x4.add(x1, ks1); x2 = i32x4.add(x2, ks2); x3 = i32x4.add(x3, i32x4.add(ks3, i32x4.splat(5)));
    acc = v128.xor(acc, v128.xor(v128.xor(x0, x1), v128.xor(x2, x3)));
  }
  return i32x4.extract_lane(acc, 0) ^ i32x4.extract_lane(acc, 1) ^ i32x4.extract_lane(acc, 2) ^ i32x4.extract_lane(acc, 3);
}
