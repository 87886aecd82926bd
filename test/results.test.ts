/**
 * One home per result format, and one engine seam: what `fleetsim sweep` writes (src/results/write.ts
 * through the CLI's runSweepCommand) reads back through the same readers the page uses, field for
 * field; and both openers (Node, browser) give an Engine with the same bits.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
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
import { concatAgentRows, parseAgentArrow } from '../src/results/agentRows.js';
import { AGENT_ROW_FIELDS, AGENT_ROW_METRICS } from '../src/results/columns.js';
import { concatFleetRows, parseFleetArrow } from '../src/results/fleetRows.js';
import { parseManifest } from '../src/results/manifest.js';
import { parseSummaryJson } from '../src/results/tables.js';
import { VERDICT_METRICS } from '../src/sweep/verdict.js';

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

  it("cells.csv: the same cells, means, win fractions and verdicts as summary.json's", () => {
    const fromJson = parseSummaryJson(read(FILES.summary), FILES.summary);
    const fromCsv = parseCellsCsv(read(FILES.cells), FILES.cells);
    expect(fromCsv.cells.map((c) => c.values)).toEqual(fromJson.cells.map((c) => c.values));
    fromCsv.cells.forEach((cell, i) => {
      cell.policies.forEach((p, k) => expect(p.metrics.avgLatency!.mean).toBe(fromJson.cells[i]!.policies[k]!.metrics.avgLatency!.mean));
      cell.pairs.forEach((pair, k) => expect(pair.aWinFraction).toBe(fromJson.cells[i]!.pairs[k]!.aWinFraction));
    });
    // the verdicts and warnings, made again from the verdict columns: the same words as summary.json's
    const said = (t: typeof fromJson) =>
      t.cells.map((c) =>
        c.verdicts.map((v) => [v.a, v.b, v.metric, v.winner, v.aWins, v.bWins, v.winFractionCi95, v.relativeChange, v.text]),
      );
    expect(said(fromCsv)).toEqual(said(fromJson));
    const P = fromJson.policies.length;
    // every pair of the study's policies × every verdict metric
    expect(fromJson.cells.every((c) => c.verdicts.length === ((P * (P - 1)) / 2) * VERDICT_METRICS.length)).toBe(true);
    expect(fromCsv.cells.map((c) => c.warnings)).toEqual(fromJson.cells.map((c) => c.warnings));
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
    expect(() =>
      concatFleetRows([
        { name: 'a.arrow', rows: one },
        { name: 'b.arrow', rows: { ...one, axes: [{ name: 'other', values: [] }] } },
      ]),
    ).toThrow(/^b\.arrow: its columns differ from a\.arrow's; per-fleet files of different sweeps cannot be opened together$/);
  });

  it('agents/*.arrow: one row per agent-run beside each per-fleet file, in columns pandas reads', () => {
    const names = readdirSync(join(dir, 'out', FILES.agents)).sort();
    expect(names).toEqual(readdirSync(join(dir, 'out', FILES.fleets)).sort());
    const bytes = readFileSync(join(dir, 'out', FILES.agents, names[0]!));
    const table = tableFromIPC(bytes);
    // pd.read_feather's columns: the axis, the row fields, the metrics, each a plain Arrow type
    expect(table.schema.fields.map((f) => f.name)).toEqual(['fleet.random.load', ...AGENT_ROW_FIELDS, ...AGENT_ROW_METRICS]);
    expect(table.schema.fields.map((f) => String(f.type))).toEqual([
      'Float64',
      'Uint32',
      'Uint32',
      'Uint32',
      'Dictionary<Int32, Utf8>',
      'Uint16',
      'Dictionary<Int32, Utf8>',
      ...AGENT_ROW_METRICS.map(() => 'Float64'),
    ]);
    const rows = concatAgentRows(
      names.map((name) => ({ name, rows: parseAgentArrow(readFileSync(join(dir, 'out', FILES.agents, name)), name) })),
    );
    expect(rows.count).toBe(outcome.fleetRunsTotal * outcome.study.policies.length * 3); // three agents per fleet
    expect(new Set(rows.agent)).toEqual(new Set([0, 1, 2]));
    expect(new Set(rows.agentName)).toEqual(new Set([null])); // a random fleet: its agent i is another agent in every sample
    expect(rows.studyHash).toBe((JSON.parse(read(FILES.summary)) as { studyHash: string }).studyHash);
    expect(outcome.summary.every((c) => c.agents === undefined)).toBe(true); // no per-agent statistics for random fleets
    const fleets = tableFromIPC(readFileSync(join(dir, 'out', FILES.fleets, names[0]!)));
    expect(parseAgentArrow(bytes, names[0]!).count).toBe(fleets.numRows * 3);
    const one = parseAgentArrow(bytes, names[0]!);
    expect(() =>
      concatAgentRows([
        { name: 'a.arrow', rows: one },
        { name: 'b.arrow', rows: { ...one, studyHash: 'f'.repeat(64) } },
      ]),
    ).toThrow(/^b\.arrow: of another study than a\.arrow/);
    expect(() =>
      concatAgentRows([
        { name: 'a.arrow', rows: one },
        { name: 'b.arrow', rows: { ...one, axes: [] } },
      ]),
    ).toThrow(/^b\.arrow: its columns differ from a\.arrow's; per-agent files of different sweeps cannot be opened together$/);
    expect(() => parseAgentArrow(readFileSync(join(dir, 'out', FILES.fleets, names[0]!)), 'f.arrow')).toThrow(
      /^f\.arrow: not a fleetsim per-agent file: missing column\(s\) agent, agentName/,
    );
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
