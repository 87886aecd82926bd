// Threefry4x32-20 counter-based random numbers: the GPU twin of src/random/threefry.ts, measured
// against philox.wgsl (bench/rng.ts) and not part of any kernel. Additions, rotations and exclusive ors
// only: no 16-bit partial products. Layout as philox4x32: 4 counter words, the seed's 2 key words
// (key words 2 and 3 zero, as Random123 fills a shorter key).

const THREEFRY_PARITY: u32 = 0x1bd11bdau;
// Rotation constants R_32x4 (Random123 threefry.h): (first, second) mix of rounds 0–3, then of 4–7.
const THREEFRY_R0 = vec2<u32>(10u, 26u);
const THREEFRY_R1 = vec2<u32>(11u, 21u);
const THREEFRY_R2 = vec2<u32>(13u, 27u);
const THREEFRY_R3 = vec2<u32>(23u, 5u);
const THREEFRY_R4 = vec2<u32>(6u, 20u);
const THREEFRY_R5 = vec2<u32>(17u, 11u);
const THREEFRY_R6 = vec2<u32>(25u, 10u);
const THREEFRY_R7 = vec2<u32>(18u, 20u);

fn rotl2(v: vec2<u32>, r: vec2<u32>) -> vec2<u32> {
  return (v << r) | (v >> (vec2<u32>(32u) - r));
}

// Four rounds on a = (x0, x2) and b = (x1, x3): an even round adds b into a and mixes b, an odd round
// does the same with b's words swapped, i.e. (x3, x1).
fn threefryGroup(a: ptr<function, vec2<u32>>, b: ptr<function, vec2<u32>>, r0: vec2<u32>, r1: vec2<u32>, r2: vec2<u32>, r3: vec2<u32>) {
  var x = *a;
  var y = *b;
  x += y;
  y = rotl2(y, r0) ^ x;
  var z = y.yx;
  x += z;
  z = rotl2(z, r1) ^ x;
  y = z.yx;
  x += y;
  y = rotl2(y, r2) ^ x;
  z = y.yx;
  x += z;
  z = rotl2(z, r3) ^ x;
  *a = x;
  *b = z.yx;
}

// Threefry4x32-20 under a full 4-word key: key injection after every 4 rounds (injection s adds key
// words s … s + 3 mod 5, and s to word 3), key word 4 the parity word.
fn threefry4x32Key(counter: vec4<u32>, key: vec4<u32>) -> vec4<u32> {
  let k4 = THREEFRY_PARITY ^ key.x ^ key.y ^ key.z ^ key.w;
  let x = counter + key;
  var a = x.xz;
  var b = x.yw;
  var q = vec4<u32>(key.yzw, k4); // key words s … s + 3 mod 5 of injection s
  var q4 = key.x;                 // key word s + 4 mod 5
  for (var s = 1u; s <= 5u; s++) {
    if ((s & 1u) == 1u) {
      threefryGroup(&a, &b, THREEFRY_R0, THREEFRY_R1, THREEFRY_R2, THREEFRY_R3);
    } else {
      threefryGroup(&a, &b, THREEFRY_R4, THREEFRY_R5, THREEFRY_R6, THREEFRY_R7);
    }
    a += q.xz;
    b += q.yw + vec2<u32>(0u, s);
    let first = q.x;
    q = vec4<u32>(q.yzw, q4);
    q4 = first;
  }
  return vec4<u32>(a.x, b.x, a.y, b.y);
}

fn threefry4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  return threefry4x32Key(counter, vec4<u32>(key, 0u, 0u));
}
