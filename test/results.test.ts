/**
 * One home per result format, and one engine seam: what `fleetsim sweep` writes (src/results/write.ts
 * through the CLI's runSweepCommand) reads back through the same readers the page uses, field for
 * field; and both openers (Node, browser) give an Engine with the same bits.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStudy, runSweepCommand, type SweepOutcome } from '../src/cli/sweep.js';
import { runBatchCpu } from '../src/cpu/engine.js';
import { crossRuns, makeBatch, packFleets } from '../src/model/batch.js';
import { PAPER_AGENTS, PAPER_CONFIG } from '../src/model/paper.js';
import { POLICY } from '../src/model/policies.js';
import { type CpuRequest, openBrowserEngine, runWorkerRequest, WorkerEngine } from '../src/platform/browser.js';
import { engineDetail } from '../src/platform/engine.js';
import { cpuEngine, openEngine } from '../src/platform/nodeEngine.js';
import { parseCellsCsv } from '../src/results/cellsCsv.js';
import { CHECKPOINT_FORMAT, parseCheckpoint } from '../src/results/checkpoint.js';
import { InputError } from '../src/results/errors.js';
import { FILES } from '../src/results/files.js';
import { concatFleetRows, parseFleetArrow } from '../src/results/fleetRows.js';
import { parseManifest } from '../src/results/manifest.js';
import { parseSummaryJson } from '../src/results/tables.js';

const STUDY = {
  name: 'formats',
  seed: 5,
  fleet: { random: { agents: 3, T: { kind: 'logUniform', min: 20, max: 200 }, R: 0.1, P: 1, load: 1 } },
  arrivals: 'poisson',
  steps: 25,
  samples: 16,
  replicates: 2,
  axes: [{ path: 'fleet.random.load', values: [0.5, 2] }],
  output: { fleetRows: true },
};

let dir: string;
let outcome: SweepOutcome;
const read = (file: string): string => readFileSync(join(dir, 'out', file), 'utf8');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleetsim-results-'));
  writeFileSync(join(dir, 'study.json'), JSON.stringify(STUDY));
  const loaded = await loadStudy(join(dir, 'study.json'));
  const options = { out: join(dir, 'out'), shard: { index: 0, count: 1 }, resume: false, quiet: true, batchAgentRuns: 64 };
  outcome = await runSweepCommand(join(dir, 'study.json'), loaded, cpuEngine(1), options);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the CLI's files read back through src/results", () => {
  it('summary.json: the table the CLI summarised', () => {
    const table = parseSummaryJson(read(FILES.summary), FILES.summary);
    expect(table.cells).toEqual(JSON.parse(JSON.stringify(outcome.summary)));
    expect(table.policies).toEqual(outcome.study.policies);
  });

  it("cells.csv: the same cells, means and win fractions as summary.json's", () => {
    const fromJson = parseSummaryJson(read(FILES.summary), FILES.summary);
    const fromCsv = parseCellsCsv(read(FILES.cells), FILES.cells);
    expect(fromCsv.cells.map((c) => c.values)).toEqual(fromJson.cells.map((c) => c.values));
    fromCsv.cells.forEach((cell, i) => {
      cell.policies.forEach((p, k) => expect(p.metrics.avgLatency!.mean).toBe(fromJson.cells[i]!.policies[k]!.metrics.avgLatency!.mean));
      cell.pairs.forEach((pair, k) => expect(pair.aWinFraction).toBe(fromJson.cells[i]!.pairs[k]!.aWinFraction));
    });
  });

  it('fleets/*.arrow: one row per fleet run and policy, every cell', () => {
    const names = readdirSync(join(dir, 'out', FILES.fleets)).sort();
    expect(names.length).toBeGreaterThan(1); // several units: the small batch budget
    const rows = concatFleetRows(
      names.map((name) => ({ name, rows: parseFleetArrow(readFileSync(join(dir, 'out', FILES.fleets, name)), name) })),
    );
    expect(rows.count).toBe(outcome.fleetRunsTotal * outcome.study.policies.length);
    expect(new Set(rows.cell)).toEqual(new Set([0, 1]));
    // each file carries the study's hash (schema metadata), the one summary.json has
    const summaryHash = (JSON.parse(read(FILES.summary)) as { studyHash: string }).studyHash;
    expect(summaryHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows.studyHash).toBe(summaryHash);
    const one = parseFleetArrow(readFileSync(join(dir, 'out', FILES.fleets, names[0]!)), names[0]!);
    expect(() =>
      concatFleetRows([
        { name: 'a.arrow', rows: one },
        { name: 'b.arrow', rows: { ...one, studyHash: 'f'.repeat(64) } },
      ]),
    ).toThrow(/^b\.arrow: of another study than a\.arrow/);
  });

  it('checkpoint.json and manifest.json: complete, with the engine that ran', () => {
    const checkpoint = parseCheckpoint(JSON.parse(read(FILES.checkpoint)), FILES.checkpoint);
    expect(checkpoint).toMatchObject({ format: CHECKPOINT_FORMAT, complete: true, unitsDone: checkpoint.unitsTotal });
    const manifest = parseManifest(JSON.parse(read(FILES.manifest)), FILES.manifest);
    expect(manifest.backends).toEqual([{ name: 'cpu', adapter: '1 thread' }]);
  });

  it("refuses the other formats' files by name", () => {
    expect(() => parseSummaryJson(read(FILES.manifest), FILES.manifest)).toThrow(/manifest\.json; open summary\.json/);
    expect(() => parseSummaryJson(read(FILES.checkpoint), FILES.checkpoint)).toThrow(/checkpoint\.json; open summary\.json/);
    expect(() => parseCheckpoint(JSON.parse(read(FILES.manifest)), 'm.json')).toThrow(InputError);
    expect(() => parseManifest(JSON.parse(read(FILES.checkpoint)), 'c.json')).toThrow(InputError);
  });
});

describe('the engine seam', () => {
  const batch = makeBatch(packFleets([{ agents: PAPER_AGENTS }]), crossRuns(1, [POLICY.static, POLICY.adaptive], 1), PAPER_CONFIG);

  it('Node: --backend cpu opens the CPU engine with its threads, no fallback', async () => {
    const engine = await openEngine('cpu', () => expect.fail('no notice for cpu'), { threads: 1 });
    try {
      expect({ name: engine.name, adapter: engine.adapter, fallback: engine.fallback }).toEqual({
        name: 'cpu',
        adapter: '1 thread',
        fallback: undefined,
      });
      expect(await engine.run(batch)).toEqual(runBatchCpu(batch));
    } finally {
      engine.close();
    }
  });

  it('browser: without navigator.gpu, the CPU worker with the reason and the same bits', async () => {
    // A stand-in Worker: answers each request through the worker's own handler, asynchronously.
    class FakeWorker {
      onmessage: ((event: MessageEvent) => void) | null = null;
      onerror: ((event: ErrorEvent) => void) | null = null;
      postMessage(request: CpuRequest): void {
        setTimeout(() => this.onmessage?.({ data: runWorkerRequest(request) } as MessageEvent), 0);
      }
      terminate(): void {}
    }
    const sources = {} as Parameters<typeof openBrowserEngine>[0]['sources'];
    const engine = await openBrowserEngine({ sources, startWorker: () => new FakeWorker() as unknown as Worker, gpu: undefined });
    expect(engine).toBeInstanceOf(WorkerEngine);
    expect(engine.name).toBe('cpu');
    expect(engineDetail(engine)).toMatch(/no WebGPU \(navigator\.gpu\); running the CPU reference engine in a Web Worker/);
    expect(await engine.run(batch)).toEqual(runBatchCpu(batch));
    engine.close();
  });
});
