/**
 * Fits the 2-state MMPP of MODEL-PART4 §4.1 (J = asymptotic IDC, π_H = high-state fraction, κ = peak
 * ratio ψ_H) to a trace's counts.
 *
 * The IDC curve alone fixes only J and the switching rate ν: with ψ_H − ψ_L = (κ−1)/(1−π_H),
 *   IDC(t) = 1 + (J−1)·[1 − (1 − e^{−νt})/(νt)],
 * and every (π_H, κ) with π_H(κ−1)²/(1−π_H) = (J−1)ν/(2λ̄) gives the same curve. So (J, ν) come from
 * least squares on log IDC (grid over ν, then Nelder–Mead), and π_H from the skewness of the rate,
 * matched to the counts' third central moment: for the 2-state chain
 *   κ₃(N(t)) = λ̄t + 3·Var I(t) + 6μ₃∫₀ᵗ(t−u)u e^{−νu}du,   μ₃/σ³ = (1−2π_H)/√(π_H(1−π_H)),
 * with σ² = (J−1)νλ̄/2 the rate's variance. κ then follows from σ². Where κπ_H would exceed 1
 * (ψ_L < 0), π_H is lowered to the ψ_L = 0 boundary that keeps σ² (`constrained`).
 *
 * @example
 *   const fit = fitMmpp(binCounts(trace, 1), 1); // { J, piHigh, kappa, nu, rms, curve }
 */
import { ConfigError } from '../model/errors.js';
import { binMultiple, windowMoments } from './format.js';

export interface MmppParams {
  /** Asymptotic index of dispersion, > 1. */
  J: number;
  /** Stationary fraction of time in the high state, 0 < π_H < 1. */
  piHigh: number;
  /** Peak ratio ψ_H = λ_H/λ̄, 1 < κ ≤ 1/π_H. */
  kappa: number;
}

export interface MmppFit extends MmppParams {
  /** Total switching rate ν (1/s), implied by the parameters and the mean rate. */
  nu: number;
  meanRate: number;
  /** Root mean square of log(fitted IDC) − log(observed IDC) over the windows. */
  rms: number;
  /** True when π_H was moved to the κπ_H = 1 boundary. */
  constrained: boolean;
  curve: { window: number; observed: number; fitted: number }[];
}

/** Log-spaced windows, seconds; those with fewer than MIN_WINDOWS complete windows in the trace are left out. */
export const DEFAULT_FIT_WINDOWS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600] as const;
export const MIN_WINDOWS = 5;

/** ν = 2π_H(1−π_H)λ̄(ψ_H−ψ_L)²/(J−1). */
export function mmppSwitchingRate(p: MmppParams, meanRate: number): number {
  const psiLow = (1 - p.kappa * p.piHigh) / (1 - p.piHigh);
  return (2 * p.piHigh * (1 - p.piHigh) * meanRate * (p.kappa - psiLow) ** 2) / (p.J - 1);
}

/** IDC(t) = Var N(t)/(λ̄t) from the (J, ν) form. */
export function idcCurve(J: number, nu: number, t: number): number {
  const x = nu * t;
  const shape = x < 1e-6 ? x / 2 : 1 - (1 - Math.exp(-x)) / x;
  return 1 + (J - 1) * shape;
}

/** The MMPP's IDC at window t (seconds), λ̄ = meanRate. */
export function mmppIdc(p: MmppParams, meanRate: number, t: number): number {
  return idcCurve(p.J, mmppSwitchingRate(p, meanRate), t);
}

/** ∫₀ᵗ (t−u)·u·e^{−νu} du. */
function thirdKernel(nu: number, t: number): number {
  const x = nu * t;
  if (x < 1e-4) return t ** 3 / 6 - (nu * t ** 4) / 12;
  const e = Math.exp(-x);
  return (t * (1 - e - x * e)) / nu ** 2 - (2 - e * (x * x + 2 * x + 2)) / nu ** 3;
}

/** The third cumulant (= central moment) of the MMPP's count in a window of t seconds. */
export function mmppThirdMoment(p: MmppParams, meanRate: number, t: number): number {
  const nu = mmppSwitchingRate(p, meanRate);
  const dLambda = (meanRate * (p.kappa - 1)) / (1 - p.piHigh);
  const sigma2 = p.piHigh * (1 - p.piHigh) * dLambda ** 2;
  const mu3 = sigma2 * dLambda * (1 - 2 * p.piHigh);
  const varI = meanRate * t * (idcCurve(p.J, nu, t) - 1);
  return meanRate * t + 3 * varI + 6 * mu3 * thirdKernel(nu, t);
}

/** Observed moments per window: what fitMmppCurves needs. */
export interface ObservedCurve {
  meanRate: number;
  points: { window: number; idc: number; third: number; windows: number }[];
}

/** Nelder–Mead on a function of 2 variables; enough for a smooth 2-parameter least squares. */
function nelderMead(f: (x: [number, number]) => number, start: [number, number], step = 0.5, iterations = 400): [number, number] {
  let simplex: { x: [number, number]; y: number }[] = [
    start,
    [start[0] + step, start[1]] as [number, number],
    [start[0], start[1] + step] as [number, number],
  ].map((x) => ({ x, y: f(x) }));
  const at = (a: [number, number], b: [number, number], s: number): [number, number] => [
    a[0] + s * (b[0] - a[0]),
    a[1] + s * (b[1] - a[1]),
  ];
  for (let it = 0; it < iterations; it++) {
    simplex.sort((a, b) => a.y - b.y);
    const [best, mid, worst] = simplex as [(typeof simplex)[0], (typeof simplex)[0], (typeof simplex)[0]];
    if (Math.abs(worst.y - best.y) < 1e-14 * (1 + Math.abs(best.y))) break;
    const centre: [number, number] = [(best.x[0] + mid.x[0]) / 2, (best.x[1] + mid.x[1]) / 2];
    const reflected = at(centre, worst.x, -1);
    const yr = f(reflected);
    if (yr < best.y) {
      const expanded = at(centre, worst.x, -2);
      const ye = f(expanded);
      simplex = [best, mid, ye < yr ? { x: expanded, y: ye } : { x: reflected, y: yr }];
    } else if (yr < mid.y) {
      simplex = [best, mid, { x: reflected, y: yr }];
    } else {
      const contracted = at(centre, worst.x, yr < worst.y ? -0.5 : 0.5);
      const yc = f(contracted);
      if (yc < Math.min(yr, worst.y)) simplex = [best, mid, { x: contracted, y: yc }];
      else simplex = [best, ...[mid, worst].map((v) => ({ x: at(best.x, v.x, 0.5), y: f(at(best.x, v.x, 0.5)) }))];
    }
  }
  simplex.sort((a, b) => a.y - b.y);
  return simplex[0]!.x;
}

/** Fits (J, π_H, κ) to observed IDC and third-moment curves (see the module comment). */
export function fitMmppCurves(observed: ObservedCurve): MmppFit {
  const { meanRate, points } = observed;
  if (points.length < 2) throw new ConfigError('windows', `${points.length} usable window(s); allowed: at least 2 window lengths`);
  if (points.every((p) => p.idc <= 1)) {
    throw new ConfigError('trace', 'the IDC is ≤ 1 at every window: no burstiness for an MMPP to fit (Poisson fits)');
  }
  const logObserved = points.map((p) => Math.log(Math.max(p.idc, 1e-12)));
  const sse = ([logJ1, logNu]: [number, number]): number => {
    let s = 0;
    points.forEach((p, i) => {
      const r = Math.log(idcCurve(1 + Math.exp(logJ1), Math.exp(logNu), p.window)) - logObserved[i]!;
      s += r * r;
    });
    return s;
  };
  let start: [number, number] = [0, 0];
  let bestY = Infinity;
  const maxIdc = Math.max(...points.map((p) => p.idc));
  for (let a = -4; a <= Math.log(100 * maxIdc); a += 0.5) {
    for (let b = -12; b <= 4; b += 0.5) {
      const y = sse([a, b]);
      if (y < bestY) [bestY, start] = [y, [a, b]];
    }
  }
  const [logJ1, logNu] = nelderMead(sse, nelderMead(sse, start), 0.05);
  const J = 1 + Math.exp(logJ1);
  const nu = Math.exp(logNu);

  // Rate variance σ² and skewness from the third moments (per-window estimates, weighted by windows).
  const sigma2 = ((J - 1) * nu * meanRate) / 2;
  let mu3Sum = 0;
  let weights = 0;
  for (const p of points) {
    const varI = meanRate * p.window * (idcCurve(J, nu, p.window) - 1);
    const kernel = 6 * thirdKernel(nu, p.window);
    mu3Sum += (p.windows * (p.third - meanRate * p.window - 3 * varI)) / kernel;
    weights += p.windows;
  }
  const skew = mu3Sum / weights / sigma2 ** 1.5;
  let piHigh = (1 - skew / Math.sqrt(skew * skew + 4)) / 2;
  piHigh = Math.min(Math.max(piHigh, 1e-6), 1 - 1e-6);
  let kappa = 1 + Math.sqrt((sigma2 * (1 - piHigh)) / piHigh) / meanRate;
  let constrained = false;
  if (kappa * piHigh > 1) {
    // ψ_L = 0: σ² = λ̄²(1−π_H)/π_H.
    piHigh = meanRate ** 2 / (sigma2 + meanRate ** 2);
    kappa = 1 / piHigh;
    constrained = true;
  }
  const curve = points.map((p) => ({ window: p.window, observed: p.idc, fitted: idcCurve(J, nu, p.window) }));
  const rms = Math.sqrt(curve.reduce((s, c) => s + Math.log(c.fitted / c.observed) ** 2, 0) / curve.length);
  return { J, piHigh, kappa, nu, meanRate, rms, constrained, curve };
}

/**
 * Fits the MMPP to binned counts (bin width binWidth seconds). Each window must be a whole multiple of
 * binWidth; windows with fewer than MIN_WINDOWS complete windows in the trace are left out.
 */
export function fitMmpp(counts: ArrayLike<number>, binWidth: number, windows: readonly number[] = DEFAULT_FIT_WINDOWS): MmppFit {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  const meanRate = total / (counts.length * binWidth);
  if (!(meanRate > 0)) throw new ConfigError('trace', 'no requests in the binned trace; allowed: a trace with requests');
  const points: ObservedCurve['points'] = [];
  for (const window of windows) {
    const m = windowMoments(counts, binMultiple(window, binWidth, 'windows'));
    if (m.n < MIN_WINDOWS) continue;
    points.push({ window, idc: m.variance / m.mean, third: m.third, windows: m.n });
  }
  return fitMmppCurves({ meanRate, points });
}
