/**
 * Dispatch-size planning against device.limits, in one place: a 1-D range of invocations is folded
 * into a 2-D grid when it needs more than maxComputeWorkgroupsPerDimension workgroups.
 */

export interface Grid {
  x: number; // workgroups along x
  y: number; // workgroups along y
  gridWidth: number; // invocations per row: index = gid.y · gridWidth + gid.x
}

export function planGrid(invocations: number, workgroupSize: number, limits: GPUSupportedLimits, maxPerDimension = Infinity): Grid {
  const perDim = Math.min(limits.maxComputeWorkgroupsPerDimension, maxPerDimension);
  const groups = Math.max(1, Math.ceil(invocations / workgroupSize));
  if (groups <= perDim) return { x: groups, y: 1, gridWidth: groups * workgroupSize };
  const y = Math.ceil(groups / perDim);
  if (y > perDim) throw new RangeError(`${invocations} invocations exceed the device's dispatch limits`);
  const x = Math.ceil(groups / y);
  return { x, y, gridWidth: x * workgroupSize };
}
