/**
 * What `fleetsim validate` says of a study's serverless lifecycle (docs/serverless.md): the integers
 * the engines will use — k = ⌈K/Δt⌉ and each agent's load time C_i = C0 + (M_i/1000)/B_load with
 * c_i = ⌈C_i/Δt⌉ (src/model/lifecycle.ts, the host's own conversions) — and whether the models fit
 * the card together (Σ m_i against the usable memory) or will be evicted and wait.
 *
 * @example
 *   lines.push(...lifecycleTables(cells, axes)); // [] when no cell has a lifecycle block
 */
import { ceilSteps, loadSeconds, loadSteps, lifecycleParams, modelMB, NO_LIMIT } from '../model/lifecycle.js';
import { PAPER_AGENTS } from '../model/paper.js';
import type { Cell } from '../study/cells.js';
import { capacityText, type LifecycleStudy, lifecycleSpec, studyCapacityMB } from '../study/lifecycle.js';
import { distRange, isPool, type Study } from '../study/schema.js';
import { poolTarget } from '../model/pool.js';
import { displayText } from '../text/quote.js';
import { alignRows, cellWhere } from './summary.js';

/** Distinct lifecycle blocks shown, at most; the rest are counted. */
export const LIFECYCLE_TABLES = 4;
/** Agents shown per table; the rest are counted. */
const LIFECYCLE_AGENTS = 32;

const seconds = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(4).replace(/\.?0+$/, ''));

/** The settings line: K and k, C0 and B_load, the eligible rule, the load slots, the initial phase. */
function settingsLine(block: LifecycleStudy, dt: number): string {
  const config = { lifecycle: lifecycleSpec(block)!, dt };
  const params = lifecycleParams(config)!;
  const keep =
    params.keepSteps === NO_LIMIT
      ? 'keep-alive never (no scale-to-zero)'
      : `keep-alive K = ${seconds(block.keepAlive as number)} s → k = ${params.keepSteps} step${params.keepSteps === 1 ? '' : 's'} of ${seconds(dt)} s${ceilSteps(block.keepAlive as number, dt) * dt !== block.keepAlive ? ` (${seconds(params.keepSteps * dt)} s: whole steps)` : ''}`;
  const slots =
    block.loadSlots === 'unlimited' ? 'unlimited loads at once' : `${block.loadSlots} load${block.loadSlots === 1 ? '' : 's'} at once`;
  return `${keep}; load time C_i = ${seconds(block.coldStart)} s + M_i/${seconds(block.loadBandwidth)} GB/s, c_i = ⌈C_i/Δt⌉ steps; eligible: ${block.eligible}; ${slots}; agents start ${block.initialPhase}`;
}

/** The memory line of a fixed fleet: Σ m against the usable memory, pinned included. */
function memoryLine(block: LifecycleStudy, models: readonly number[], pinned: number): string {
  const total = models.reduce((a, b) => a + b, 0);
  if (block.memory === undefined)
    return `  memory: unlimited (Σ m = ${total} MB; no lifecycle.memory: nothing is evicted or waits for memory)`;
  const capacity = studyCapacityMB(block);
  const card = capacityText(block);
  if (total <= capacity)
    return `  memory: ${card}; the models fit together (Σ m = ${total} MB ≤ ${capacity} MB): nothing is evicted or waits for memory`;
  // How many fit at once, smallest first: an upper bound on the agents resident together.
  const sorted = [...models].sort((a, b) => a - b);
  let fit = 0;
  for (let used = 0; fit < sorted.length && used + sorted[fit]! <= capacity; fit++) used += sorted[fit]!;
  return `  memory: ${card}; Σ m = ${total} MB does not fit: at most ${fit} of ${models.length} models at once, the others wait or evict an idle one (evict: ${block.memory.evict}${pinned > 0 ? `; pinned ${pinned} MB never leave` : ''})`;
}

/**
 * A pool's memory line (src/model/pool.ts "Start"): the models against n_G cards, packed as the pool
 * starts them — the pinned agents, then the others in index order, each on the GPU with the most free
 * memory, until the first that does not fit.
 */
function poolMemoryLine(block: LifecycleStudy, models: readonly number[], pinned: readonly boolean[], gpus: number): string {
  const total = models.reduce((a, b) => a + b, 0);
  if (block.memory === undefined)
    return `  memory: unlimited on each of the pool's ${gpus} GPUs (Σ m = ${total} MB; no lifecycle.memory: nothing is evicted or waits for memory)`;
  const capacity = studyCapacityMB(block);
  const used = new Float64Array(gpus);
  const none = new Float64Array(gpus);
  const order = [...models.keys()].sort((a, b) => Number(pinned[b]) - Number(pinned[a]) || a - b);
  let fit = 0;
  for (const i of order) {
    const k = poolTarget(used, none, gpus, NO_LIMIT, false);
    if (used[k]! + models[i]! > capacity) break;
    used[k] = used[k]! + models[i]!;
    fit++;
  }
  const perGpu = Array.from(used, (mb, k) => `GPU ${k} ${mb} MB`).join(', ');
  const head = `  memory: a pool of ${gpus} × ${capacityText(block)}; Σ m = ${total} MB against ${gpus * capacity} MB`;
  return fit === models.length
    ? `${head}: all ${fit} models fit as the pool starts them (pinned first, then in index order, each on the GPU with the most free memory: ${perGpu}); a later load goes to the GPU with the most free memory, where it waits or evicts an idle agent only if it does not fit there (evict: ${block.memory.evict})`
    : `${head}: ${fit} of ${models.length} models fit as the pool starts them (pinned first, then in index order, each on the GPU with the most free memory: ${perGpu}); the others wait or evict an idle agent on the GPU with the most free memory (evict: ${block.memory.evict})`;
}

/** One cell's lifecycle block: the settings, then the agents' load times (fixed fleets) or their range (random fleets). */
function lifecycleTable(study: Study): string[] {
  const block = study.lifecycle!;
  const config = { lifecycle: lifecycleSpec(block)!, dt: study.dt };
  const lines: string[] = [];
  const f = study.fleet;
  if ('random' in f) {
    const [lo, hi] = f.random.M === undefined ? [0, 0] : distRange(f.random.M).map((m) => modelMB(m));
    lines.push(
      `  random fleet: models M ${f.random.M === undefined ? 'not given (0 MB)' : `${lo} to ${hi} MB`}: C_i ${seconds(loadSeconds(lo!, config))} to ${seconds(loadSeconds(hi!, config))} s, c_i ${loadSteps(lo!, config)} to ${loadSteps(hi!, config)} steps`,
    );
    if (block.memory !== undefined)
      lines.push(`  memory: ${capacityText(block)}; each model fits (checked); how many fit at once depends on the sample`);
    return lines;
  }
  const agents: readonly { name?: string | undefined; M?: number | undefined; pinned?: boolean | undefined }[] =
    'preset' in f ? PAPER_AGENTS : f.agents;
  const rows: string[][] = [['agent', 'M (MB)', 'C_i (s)', 'c_i (steps)', 'pinned']];
  const models = agents.map((a) => modelMB(a.M));
  agents.slice(0, LIFECYCLE_AGENTS).forEach((a, i) => {
    const m = models[i]!;
    rows.push([
      displayText(a.name ?? `agent ${i}`, 40),
      String(m),
      seconds(loadSeconds(m, config)),
      String(loadSteps(m, config)),
      a.pinned === true ? 'yes' : '',
    ]);
  });
  lines.push(...alignRows(rows, [false, true, true, true, false]).map((l) => `  ${l.trimEnd()}`));
  if (agents.length > LIFECYCLE_AGENTS) lines.push(`  … ${agents.length - LIFECYCLE_AGENTS} more agents`);
  const pinned = agents.reduce((sum, a, i) => sum + (a.pinned === true ? models[i]! : 0), 0);
  lines.push(
    isPool(study)
      ? poolMemoryLine(
          block,
          models,
          agents.map((a) => a.pinned === true),
          study.fleet.gpus!,
        )
      : memoryLine(block, models, pinned),
  );
  const recorded = study.steps - study.warmup;
  const slow = agents.map((a, i) => [a, loadSteps(models[i]!, config)] as const).filter(([, c]) => c >= recorded);
  if (slow.length > 0)
    lines.push(
      `warning: ${slow
        .slice(0, 4)
        .map(([a, c]) => `${displayText(a.name ?? `agent ${agents.indexOf(a)}`, 40)} (${c} steps)`)
        .join(
          ', ',
        )}${slow.length > 4 ? ` and ${slow.length - 4} more` : ''}: a load takes as long as the ${recorded} recorded steps or longer: a cold agent never serves in the recorded time`,
    );
  if (agents.every((a) => a.M === undefined))
    lines.push('  note: no agent gives M (its model size, MB): every load takes the cold start C0 alone and needs no memory');
  return lines;
}

/**
 * The lifecycle blocks of a study's cells: a settings line per distinct (lifecycle, fleet, Δt), and
 * the agents' load times and memory fit once per distinct (fleet, Δt, C0, B_load, memory) — so a
 * keep-alive axis adds one line per value, not a table — at most LIFECYCLE_TABLES settings lines.
 */
export function lifecycleTables(cells: readonly Cell[], axes: readonly string[]): string[] {
  const on = cells.filter((c) => c.study.lifecycle !== undefined);
  if (on.length === 0) return [];
  const fleetIds = new WeakMap<object, number>();
  let fleets = 0;
  const fleetId = (fleet: object): number => {
    let id = fleetIds.get(fleet);
    if (id === undefined) fleetIds.set(fleet, (id = ++fleets)); // cells whose axes leave the fleet share its object
    return id;
  };
  const seen = new Set<string>();
  const tables = new Set<string>();
  const lines: string[] = [];
  let shown = 0;
  let more = 0;
  for (const cell of on) {
    const { lifecycle, dt, fleet } = cell.study;
    const key = JSON.stringify([fleetId(fleet), dt, lifecycle]);
    if (seen.has(key)) continue;
    seen.add(key);
    if (shown === LIFECYCLE_TABLES) {
      more++;
      continue;
    }
    shown++;
    const values = Object.fromEntries(cell.values.map((v, i) => [axes[i] ?? `axis ${i}`, v]));
    const title = cells.length > 1 ? `cell ${cell.index} (${cellWhere({ values })})` : 'fleet';
    lines.push(`${title}: serverless lifecycle (docs/serverless.md): ${settingsLine(lifecycle!, dt)}`);
    const table = JSON.stringify([fleetId(fleet), dt, lifecycle!.coldStart, lifecycle!.loadBandwidth, lifecycle!.memory ?? null]);
    if (tables.has(table)) continue;
    tables.add(table);
    lines.push(...lifecycleTable(cell.study));
  }
  if (more > 0) lines.push(`… ${more} more cells with their own lifecycle, fleet or dt (the first ${LIFECYCLE_TABLES} are shown)`);
  return lines;
}
