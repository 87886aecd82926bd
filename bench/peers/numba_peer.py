"""The Numba peer: fleetsim's model (docs/MODEL.md Part 1, Poisson arrivals) as a Python user would write
it for speed: one compiled loop over fleet replicates (`@njit`, Debian's python3-numba), NumPy's Poisson
sampler, the three paper policies sharing each replicate's arrivals (as fleetsim's engines do: common
random numbers). One thread (`--threads 1`, a plain `range` loop) or all cores (`prange`).

Its random numbers come from Numba's Mersenne Twister, not fleetsim's Philox, so bench/peers.ts checks that
it gives the same *statistics* (mean avgLatency, throughput and utilisation per policy, within their
confidence intervals) before it is timed. Compilation is cached on disk (`cache=True`); the first call on
a tiny input is timed apart as `compileSeconds` and excluded from `seconds`.

    /usr/bin/python3 bench/peers/numba_peer.py REPLICATES STEPS THREADS [SEED] [FLEET]
        FLEET: "paper" (default) or a JSON file of fleets (see fleet_file)
    -> one JSON object on stdout
"""
import json
import os
import sys
import time

import numpy as np

os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__"))
import numba  # noqa: E402
from numba import njit, prange  # noqa: E402

DT, LMAX, G = 1.0, 999.0, 1.0
POLICIES = ("static", "roundRobin", "adaptive")


def paper_fleet():
    """The paper's four agents (T, R, P, λ)."""
    return (np.array([100.0, 50.0, 60.0, 30.0]), np.array([0.10, 0.30, 0.25, 0.35]),
            np.array([1.0, 2.0, 2.0, 1.0]), np.array([80.0, 40.0, 45.0, 25.0]))


@njit(cache=True)
def adaptive_shares(R, P, lam, out):
    """The paper's Algorithm 1 on nominal rates: constant over time, so computed once per fleet."""
    n = R.shape[0]
    d_total = 0.0
    for i in range(n):
        d_total += lam[i] * R[i] / P[i]
    s = 0.0
    for i in range(n):
        out[i] = max(R[i], lam[i] * R[i] / P[i] / d_total * G) if d_total > 0 else 0.0
        s += out[i]
    if s > G:
        for i in range(n):
            out[i] *= G / s


@njit(cache=True)
def run_replicate(T, R, P, lam, steps, out_lat, out_thr, out_util, r):
    """One fleet replicate under the three policies, on one set of Poisson arrivals."""
    n = T.shape[0]
    shares = np.empty((3, n))
    for i in range(n):
        shares[0, i] = G / n
    adaptive_shares(R, P, lam, shares[2])
    q = np.zeros((3, n))
    lat = np.zeros(3)
    served_sum = np.zeros(3)
    busy = np.zeros(3)
    for t in range(steps):
        turn = t % n
        for i in range(n):
            a = float(np.random.poisson(lam[i] * DT))
            for p in range(3):
                if p == 1:
                    g = G if i == turn else 0.0
                else:
                    g = shares[p, i]
                rate = T[i] * g
                backlog = q[p, i] + a
                served = min(backlog, rate * DT)
                q[p, i] = backlog - served
                lat[p] += q[p, i] / rate if g > 0 else LMAX
                served_sum[p] += served
                busy[p] += served / (T[i] * DT)
    for p in range(3):
        out_lat[p, r] = lat[p] / (steps * n)
        out_thr[p, r] = served_sum[p] / (steps * DT)
        out_util[p, r] = busy[p] / steps


@njit(cache=True)
def serial_kernel(Ts, Rs, Ps, lams, steps, seed, out_lat, out_thr, out_util):
    """The loop over replicates, on one thread."""
    np.random.seed(seed)
    for r in range(out_lat.shape[1]):
        f = r % Ts.shape[0]
        run_replicate(Ts[f], Rs[f], Ps[f], lams[f], steps, out_lat, out_thr, out_util, r)


@njit(cache=True, parallel=True)
def parallel_kernel(Ts, Rs, Ps, lams, steps, seed, out_lat, out_thr, out_util):
    """The same loop over all cores (each thread draws from its own Mersenne Twister)."""
    np.random.seed(seed)
    for r in prange(out_lat.shape[1]):
        f = r % Ts.shape[0]
        run_replicate(Ts[f], Rs[f], Ps[f], lams[f], steps, out_lat, out_thr, out_util, r)


def fleet_file(path):
    """Fleets written by bench/peers.ts (fleetsim's own random fleets, so both simulate the same agents):
    JSON {"T": [[...], ...], "R": ..., "P": ..., "lambda": ...}, one row per fleet, all of one size.
    Replicate r simulates fleet r mod (number of fleets)."""
    with open(path) as f:
        d = json.load(f)
    return tuple(np.array(d[k], dtype=np.float64) for k in ("T", "R", "P", "lambda"))


def main():
    if not 4 <= len(sys.argv) <= 6 or not all(a.isdigit() for a in sys.argv[1:5]):
        print("usage: numba_peer.py REPLICATES STEPS THREADS [SEED] [FLEET] (positive integers; FLEET paper or a file)",
              file=sys.stderr)
        sys.exit(2)
    reps, steps, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    fleet = sys.argv[5] if len(sys.argv) > 5 else "paper"
    if min(reps, steps) < 1 or not 1 <= threads <= numba.config.NUMBA_NUM_THREADS:
        print(f"numba_peer.py: REPLICATES and STEPS must be ≥ 1, THREADS 1 to {numba.config.NUMBA_NUM_THREADS} (the cores)",
              file=sys.stderr)
        sys.exit(2)
    if fleet == "paper":
        T, R, P, lam = (x[None, :] for x in paper_fleet())
    else:
        T, R, P, lam = fleet_file(fleet)
    kernel = serial_kernel if threads == 1 else parallel_kernel
    if threads > 1:
        numba.set_num_threads(threads)
    started = time.perf_counter()
    tiny = np.zeros((3, 2))
    kernel(T, R, P, lam, 2, seed, tiny, tiny.copy(), tiny.copy())
    compile_seconds = time.perf_counter() - started
    out = [np.zeros((3, reps)) for _ in range(3)]
    started = time.perf_counter()
    kernel(T, R, P, lam, steps, seed, *out)
    seconds = time.perf_counter() - started
    stats = {
        policy: {
            name: {"mean": float(x[p].mean()), "sem": float(x[p].std(ddof=1) / np.sqrt(reps)) if reps > 1 else 0.0}
            for name, x in zip(("avgLatency", "throughput", "utilization"), out)
        }
        for p, policy in enumerate(POLICIES)
    }
    json.dump({"numba": numba.__version__, "numpy": np.__version__, "python": sys.version.split()[0],
               "threads": threads, "fleet": fleet, "replicates": reps, "steps": steps,
               "compileSeconds": compile_seconds, "seconds": seconds,
               "agentSteps": 3 * reps * T.shape[1] * steps, "stats": stats}, sys.stdout)


if __name__ == "__main__":
    main()
