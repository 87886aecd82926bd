// Philox4x32-10 counter-based random numbers: the GPU twin of src/random/philox.ts.
// A draw is a pure function of (seed, stream, replicate, step, agent, draw index):
//   key = (seedLo, seedHi); counter = (stream, replicate, step, agent << 16 | draw >> 2); word = draw & 3.

const PHILOX_M0: u32 = 0xd2511f53u;
const PHILOX_M1: u32 = 0xcd9e8d57u;
const PHILOX_W0: u32 = 0x9e3779b9u;
const PHILOX_W1: u32 = 0xbb67ae85u;

// High 32 bits of the 64-bit product a·b from 16-bit halves (WGSL has no 64-bit integers).
fn mulhi32(a: u32, b: u32) -> u32 {
  let aL = a & 0xffffu;
  let aH = a >> 16u;
  let bL = b & 0xffffu;
  let bH = b >> 16u;
  let lh = aL * bH;
  let hl = aH * bL;
  let mid = ((aL * bL) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return aH * bH + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let hi0 = mulhi32(PHILOX_M0, c.x);
    let lo0 = PHILOX_M0 * c.x;
    let hi1 = mulhi32(PHILOX_M1, c.z);
    let lo1 = PHILOX_M1 * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return c;
}

// Purposes of a draw stream (MODEL-PART4 §4.0; PURPOSE in src/random/philox.ts): counter word 2 is
// (purpose << 28) | step. 0 = arrival and work draws, 1 = arrival-process state, 2 = routing, 3 = setup.
const PURPOSE_PROCESS: u32 = 1u;
const PURPOSE_ROUTING: u32 = 2u;
const PURPOSE_SETUP: u32 = 3u;

fn purposeStep(purpose: u32, step: u32) -> u32 {
  return (purpose << 28u) | step;
}

// The sequential draw stream of one (stream, replicate, step, agent); mirrors DrawStream.
struct Rng {
  counter: vec4<u32>, // (stream, replicate, step, agent << 16 | block)
  key: vec2<u32>,     // the seed's two words
  block: vec4<u32>,   // the current Philox block
  next: u32,          // index of the next draw
}

fn rngStart(key: vec2<u32>, stream: u32, replicate: u32, step: u32, agent: u32) -> Rng {
  return Rng(vec4<u32>(stream, replicate, step, agent << 16u), key, vec4<u32>(0u), 0u);
}

fn rngNextU32(rng: ptr<function, Rng>) -> u32 {
  let word = (*rng).next & 3u;
  if (word == 0u) {
    (*rng).counter.w = ((*rng).counter.w & 0xffff0000u) | (((*rng).next >> 2u) & 0xffffu);
    (*rng).block = philox4x32((*rng).counter, (*rng).key);
  }
  (*rng).next += 1u;
  return (*rng).block[word];
}

// Uniform on {0, …, 2^24 − 1}/2^24 ⊂ [0, 1), exact in f32.
fn u01(x: u32) -> f32 {
  return f32(x >> 8u) * 5.9604644775390625e-8;
}

// Uniform on {1, …, 2^24}/2^24 ⊂ (0, 1]: safe under log().
fn u01Open0(x: u32) -> f32 {
  return f32((x >> 8u) + 1u) * 5.9604644775390625e-8;
}

// Odd multiples of 2^-25 in (−0.5, 0.5): never 0 and never ±0.5.
fn uCentered(x: u32) -> f32 {
  return f32(i32((x >> 7u) | 1u) - 16777216) * 2.98023223876953125e-8;
}
