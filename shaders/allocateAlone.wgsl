// The adaptive allocation alone, for one fleet of N agents (N up to millions), as the benchmark times
// it against the paper's "< 1 ms" claim (bench/allocator.ts). Not used by the simulation kernels,
// which allocate inside their step loop. Five dispatches: per-workgroup partial sums of the demands,
// their total, partial sums of the raised shares, their total and scale, then every share.

struct Params {
  count: u32,    // N agents
  capacity: f32, // G, GPUs
  _pad0: u32,
  _pad1: u32,
}

struct Agent {
  R: f32,      // minimum share
  P: f32,      // priority, 1 = most important
  lambda: f32, // nominal arrival rate, requests/s
  _pad0: f32,
}

const WG: u32 = 256u;     // invocations per workgroup
const GROUPS: u32 = 64u;  // workgroups of the partial-sum passes (grid-stride over the agents)

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> agents: array<Agent>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32, GROUPS>;
@group(0) @binding(3) var<storage, read_write> scalars: array<f32, 2>; // D, then the scale
@group(0) @binding(4) var<storage, read_write> shares: array<f32>;

var<workgroup> scratch: array<f32, WG>;

fn demand(a: Agent) -> f32 {
  return (a.lambda * a.R) / a.P;
}

fn raised(a: Agent, total: f32) -> f32 {
  return max(a.R, (demand(a) / total) * params.capacity);
}

// Tree sum of scratch[0..WG) into scratch[0], in a fixed order.
fn reduce(lid: u32) {
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lid < stride) {
      scratch[lid] += scratch[lid + stride];
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn demandPartials(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  var sum = 0.0;
  for (var i = wg.x * WG + lid; i < params.count; i += GROUPS * WG) {
    sum += demand(agents[i]);
  }
  scratch[lid] = sum;
  reduce(lid);
  if (lid == 0u) {
    partials[wg.x] = scratch[0];
  }
}

@compute @workgroup_size(WG)
fn demandTotal(@builtin(local_invocation_index) lid: u32) {
  scratch[lid] = select(0.0, partials[lid], lid < GROUPS);
  reduce(lid);
  if (lid == 0u) {
    scalars[0] = scratch[0];
  }
}

@compute @workgroup_size(WG)
fn raisedPartials(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let total = scalars[0];
  var sum = 0.0;
  if (total > 0.0) {
    for (var i = wg.x * WG + lid; i < params.count; i += GROUPS * WG) {
      sum += raised(agents[i], total);
    }
  }
  scratch[lid] = sum;
  reduce(lid);
  if (lid == 0u) {
    partials[wg.x] = scratch[0];
  }
}

@compute @workgroup_size(WG)
fn raisedTotal(@builtin(local_invocation_index) lid: u32) {
  scratch[lid] = select(0.0, partials[lid], lid < GROUPS);
  reduce(lid);
  if (lid == 0u) {
    // Faithful to the paper: scaling may push shares back below their minimum R_i.
    scalars[1] = select(1.0, params.capacity / scratch[0], scratch[0] > params.capacity);
  }
}

@compute @workgroup_size(WG)
fn writeShares(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.y * groups.x * WG + gid.x;
  if (i >= params.count) {
    return;
  }
  let total = scalars[0];
  shares[i] = select(0.0, raised(agents[i], total) * scalars[1], total > 0.0);
}
