"""The NumPy peer: fleetsim's model (docs/MODEL.md Part 1, Poisson arrivals) as a Python user would write it,
vectorised over fleets with NumPy. The paper's four agents, every policy, `fleets` independent fleets.

Used by the benchmark (bench/suite.ts) as the CPU-vectorised competitor. Its random numbers come from NumPy's
PCG64, not fleetsim's Philox, so the benchmark checks that it gives the same *statistics* (mean avgLatency,
throughput and utilisation per policy, within their confidence intervals) before timing it.

    /usr/bin/python3 bench/peers/numpy_peer.py FLEETS STEPS POLICY [SEED]   -> one JSON object on stdout
"""
import json
import sys
import time

import numpy as np

T = np.array([100.0, 50.0, 60.0, 30.0])  # base throughput, requests/s
R = np.array([0.10, 0.30, 0.25, 0.35])  # minimum share
P = np.array([1.0, 2.0, 2.0, 1.0])  # priority
LAM = np.array([80.0, 40.0, 45.0, 25.0])  # nominal arrival rate, requests/s
DT, LMAX, G = 1.0, 999.0, 1.0
N = len(T)


def adaptive_shares():
    """The paper's Algorithm 1 on nominal rates: constant over time, so computed once."""
    d = LAM * R / P
    g = np.maximum(R, d / d.sum() * G)
    return g * (G / g.sum()) if g.sum() > G else g


def simulate(policy, fleets, steps, rng):
    """Returns per-fleet avgLatency, throughput and utilisation (arrays of length `fleets`)."""
    q = np.zeros((fleets, N))
    lat_sum = np.zeros((fleets, N))
    served_sum = np.zeros((fleets, N))
    busy_sum = np.zeros(fleets)
    fixed = np.full(N, G / N) if policy == "static" else adaptive_shares()
    for t in range(steps):
        a = rng.poisson(LAM * DT, size=(fleets, N)).astype(np.float64)
        if policy == "roundRobin":
            g = np.zeros(N)
            g[t % N] = G
        else:
            g = fixed
        rate = T * g
        backlog = q + a
        served = np.minimum(backlog, rate * DT)
        q = backlog - served
        with np.errstate(divide="ignore", invalid="ignore"):
            lat_sum += np.where(g > 0, q / np.where(rate > 0, rate, 1.0), LMAX)
        served_sum += served
        busy_sum += (served / (T * DT)).sum(axis=1)
    return lat_sum.mean(axis=1) / steps, served_sum.sum(axis=1) / (steps * DT), busy_sum / steps


def main():
    fleets, steps, policy = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    latency, throughput, utilization = simulate(policy, fleets, steps, rng)
    seconds = time.perf_counter() - started
    stats = {
        name: {"mean": float(x.mean()), "sem": float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else 0.0}
        for name, x in (("avgLatency", latency), ("throughput", throughput), ("utilization", utilization))
    }
    out = {"numpy": np.__version__, "python": sys.version.split()[0], "fleets": fleets, "steps": steps, "policy": policy,
           "seconds": seconds, "agentSteps": fleets * N * steps, "stats": stats}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
