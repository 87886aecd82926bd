/**
 * The totals buffers both engines hand out (src/model/totalsBuffers.ts): shaped as allocTotals, zero when
 * reused, reused only when released and big enough, and foreign totals ignored.
 */
import { describe, expect, it } from 'vitest';
import { crossRuns, makeBatch, packFleets } from '../src/model/batch.js';
import { allocTotals, TOTAL_FIELDS } from '../src/model/metrics.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { POLICY } from '../src/model/policies.js';
import { TotalsBuffers } from '../src/model/totalsBuffers.js';

const batchOf = (fleets: number, agents: number) =>
  makeBatch(
    packFleets(Array.from({ length: fleets }, () => ({ agents: PAPER_AGENTS.slice(0, agents) }))),
    crossRuns(fleets, [POLICY.static, POLICY.adaptive], 2),
    { ...PAPER_CONFIG, seed: 1 },
  );

describe('TotalsBuffers', () => {
  it.each([
    [3, 4],
    [10, 2],
    [1, 1],
  ])('takes totals shaped as allocTotals for %i fleets of %i agents', (fleets, agents) => {
    const batch = batchOf(fleets, agents);
    const taken = new TotalsBuffers((bytes) => new ArrayBuffer(bytes)).take(batch);
    const expected = allocTotals(batch);
    expect(taken.runs).toBe(expected.runs);
    expect([...taken.agentOffset]).toEqual([...expected.agentOffset]);
    expect([...taken.agentCount]).toEqual([...expected.agentCount]);
    for (const field of TOTAL_FIELDS) expect([...taken[field]], field).toEqual([...expected[field]]);
  });

  it('reuses a released buffer, zeroed, for a batch it fits, and a new one otherwise', () => {
    let allocated = 0;
    const buffers = new TotalsBuffers((bytes) => {
      allocated++;
      return new ArrayBuffer(bytes);
    });
    const first = buffers.take(batchOf(5, 4));
    for (const field of TOTAL_FIELDS) first[field].fill(7);
    buffers.release(first);
    const second = buffers.take(batchOf(4, 4)); // smaller: fits
    expect(second.buffer).toBe(first.buffer);
    for (const field of TOTAL_FIELDS)
      expect(
        second[field].every((x) => x === 0),
        field,
      ).toBe(true);
    expect(allocated).toBe(1);
    const third = buffers.take(batchOf(50, 4)); // the buffer is out, and too small anyway
    expect(third.buffer).not.toBe(first.buffer);
    expect(allocated).toBe(2);
  });

  it('ignores totals it did not hand out, and a second release of the same ones', () => {
    let allocated = 0;
    const buffers = new TotalsBuffers((bytes) => {
      allocated++;
      return new ArrayBuffer(bytes);
    });
    buffers.release(allocTotals(batchOf(5, 4))); // not its own: no buffer to reuse
    const mine = buffers.take(batchOf(5, 4));
    buffers.release(mine);
    buffers.release(mine); // once only: two takes must not share it
    const a = buffers.take(batchOf(5, 4));
    const b = buffers.take(batchOf(5, 4));
    expect(a.buffer).toBe(mine.buffer);
    expect(b.buffer).not.toBe(a.buffer);
    expect(allocated).toBe(2);
  });
});
