/**
 * Paper view: the paper's scenario (arXiv 2512.22149, Table II) on the page's engine — WebGPU, or the
 * CPU engine in a worker — beside the paper's figures.
 */
import { PAPER_TABLE_II, paperBatch } from '../../src/model/paper.js';
import { summarize } from '../../src/model/metrics.js';
import { POLICY_NAMES } from '../../src/model/policies.js';
import { showBackend } from '../lib/badge.js';
import { dataTable, el, messageBox } from '../lib/dom.js';
import { pageEngine } from '../lib/engine.js';
import type { ViewState } from '../lib/url.js';

export function mountPaper(root: HTMLElement, state: ViewState): void {
  const message = messageBox();
  root.append(el('h2', {}, 'Table II of arXiv 2512.22149'), message.node);
  message.show('running…');
  void (async () => {
    const engine = await pageEngine(state.get('backend'));
    showBackend(engine);
    const batch = paperBatch();
    const result = summarize(batch, await engine.run(batch));
    message.show(engine.detail);
    const rows = POLICY_NAMES.map((name, r) => {
      const paper = PAPER_TABLE_II[name];
      return [
        name,
        result.avgLatency[r]!.toFixed(3),
        paper.avgLatency.toFixed(1),
        result.throughput[r]!.toFixed(2),
        paper.throughput.toFixed(1),
        result.cost[r]!.toFixed(4),
        paper.cost.toFixed(2),
      ];
    });
    const headers = ['policy', 'avgLatency (s)', 'paper (s)', 'throughput (rps)', 'paper (rps)', 'cost ($)', 'paper ($)'];
    root.append(dataTable('fleetsim against the paper', headers, rows));
    document.body.dataset.state = 'done';
  })().catch((error: unknown) => {
    message.show(`fleetsim failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
    document.body.dataset.state = 'error';
  });
}
