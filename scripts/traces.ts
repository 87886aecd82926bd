/**
 * `npm run traces`: regenerates the shipped traces in traces/ from the shared raw data
 * (../shared/data/traces/ next to the package root, or the directory given as the first argument):
 *   traces/azure-llm-2023-conv.json   the Azure conv CSV through importTraceCsv, 1 ms bins
 *   traces/servegen-deepseek-r1.json  the ServeGen chunk files, one client each
 * Licences and attribution: traces/README.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../src/platform/node.js';
import { writeAtomic } from '../src/results/files.js';
import { binCounts, traceJson, traceStats } from '../src/traces/format.js';
import { importTraceCsv } from '../src/traces/import.js';
import { SERVEGEN_FORMAT, SERVEGEN_VERSION, parseServeGenChunk, serveGenJson, type ServeGenTrace } from '../src/traces/servegen.js';
import { SHIPPED_DESCRIPTIONS } from '../src/traces/shipped.js';

export const AZURE_META = {
  name: 'azure-llm-2023-conv',
  source:
    'Azure Public Dataset, "Azure LLM inference trace 2023" (conversation service), data/AzureLLMInferenceTrace_conv.csv of https://github.com/Azure/AzurePublicDataset',
  licence: 'CC-BY-4.0 (https://creativecommons.org/licenses/by/4.0/)',
  attribution: 'Patel et al., "Splitwise: Efficient generative LLM inference using phase splitting", ISCA 2024',
} as const;

export const SERVEGEN_META = {
  name: 'servegen-deepseek-r1',
  source:
    'Alibaba ServeGen, data/reason/deepseek-r1/ of https://github.com/alibaba/ServeGen: per-client arrival statistics of DeepSeek-R1 reasoning traffic on Alibaba Cloud Model Studio',
  licence: 'Apache-2.0 (https://www.apache.org/licenses/LICENSE-2.0)',
  attribution: 'the ServeGen characterization paper, arXiv 2505.09999',
} as const;

async function main(): Promise<void> {
  const root = packageRoot();
  const raw = resolve(process.argv[2] ?? join(root, '..', 'shared', 'data', 'traces'));

  const csv = 'azure-llm-2023-conv.csv';
  const { trace } = importTraceCsv(readFileSync(join(raw, csv), 'utf8'), {
    file: csv,
    timestampColumn: 'TIMESTAMP',
    format: 'datetime',
    resolution: 0.001,
    ...AZURE_META,
    description: `${SHIPPED_DESCRIPTIONS[AZURE_META.name]}. Derived: the TIMESTAMP column (UTC), shifted so the first request is at 0, counted per 1 ms bin`,
  });
  await writeAtomic(join(root, 'traces', `${AZURE_META.name}.json`), traceJson(trace));
  const stats = traceStats(binCounts(trace, 1), 1);
  process.stdout.write(
    `${AZURE_META.name}: ${trace.requests} requests, ${trace.duration.toFixed(3)} s, ${stats.bins} bins of 1 s, ${stats.meanRate.toFixed(3)} req/s, IDC ${stats.idc.map((p) => `${p.window} s ${p.idc.toFixed(2)}`).join(', ')}\n`,
  );

  const dir = join(raw, 'servegen-deepseek-r1');
  const files = readdirSync(dir)
    .map((f) => ({ f, id: /^chunk-(\d+)-trace\.csv$/.exec(f)?.[1] }))
    .filter((x): x is { f: string; id: string } => x.id !== undefined)
    .sort((a, b) => Number(a.id) - Number(b.id));
  const doc: ServeGenTrace = {
    format: SERVEGEN_FORMAT,
    version: SERVEGEN_VERSION,
    ...SERVEGEN_META,
    description: `${SHIPPED_DESCRIPTIONS[SERVEGEN_META.name]}. Derived: chunk-N-trace.csv → client N; param1, param2 → shape, scale (Gamma cv = 1/√shape); empty family → null`,
    window: 600,
    clients: files.map(({ f, id }) => ({ id: Number(id), windows: parseServeGenChunk(readFileSync(join(dir, f), 'utf8'), f) })),
  };
  await writeAtomic(join(root, 'traces', `${SERVEGEN_META.name}.json`), serveGenJson(doc));
  const windows = doc.clients.reduce((s, c) => s + c.windows.length, 0);
  process.stdout.write(`${SERVEGEN_META.name}: ${doc.clients.length} clients, ${windows} windows of 600 s\n`);
}

await main();
