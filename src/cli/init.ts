/**
 * `fleetsim init [FILE]`: writes a starter study for the user's own agents — a fixed fleet
 * (`fleet.agents`) of placeholder agents to replace with measured T, R, P and λ, a load axis, and run
 * settings that suit a first look — with its explanation in the study's `$comment` lines (JSON has no
 * comments). Refuses to overwrite a file; `-` writes the study to stdout.
 *
 * @example
 *   fleetsim init my-fleet.json --agents planner,coder,critic
 */
import { writeFileSync } from 'node:fs';
import { PAPER_POLICIES, POLICY_NAMES } from '../model/policies.js';
import { LIMITS } from '../study/schema.js';
import { fleetWorkflow, HUB_MAX_AGENTS, workflowRates } from '../study/workflow.js';
import { displayPath, quote } from '../text/quote.js';
import { UsageError } from './errors.js';
import { fileSystemError } from './outDir.js';

/** Agents a starter study may have (`--agents N`): enough for any first study, few enough to read. */
export const INIT_MAX_AGENTS = 64;
export const INIT_DEFAULT_AGENTS = 4;
/** The file written when none is named. */
export const INIT_DEFAULT_FILE = 'my-fleet.json';

/** Placeholder speeds (requests/s with the whole GPU), cycled: a mix of small and large models. */
const PLACEHOLDER_T = [100, 40, 200, 20, 60, 30];
/** Placeholder model sizes (MB) beside PLACEHOLDER_T (`--serverless`): the faster, the smaller. */
const PLACEHOLDER_M = [2000, 6000, 1000, 14000, 4000, 8000];
/** The starter's card (`--serverless`): 24 GB, so that four placeholder agents fit and more are evicted. */
const STARTER_GPU = 'L4';

/**
 * `--agents`: a count (1 to INIT_MAX_AGENTS) or a comma-separated list of distinct names (each 1 to 64
 * characters of letters, digits, `.`, `_` or `-`). Throws UsageError naming the option.
 */
export function parseAgents(value: string): string[] {
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < 1 || n > INIT_MAX_AGENTS) throw new UsageError(`--agents: a count from 1 to ${INIT_MAX_AGENTS}, or names; got ${quote(value)}`);
    return Array.from({ length: n }, (_, i) => `agent-${i + 1}`);
  }
  const names = text.split(',').map((s) => s.trim());
  const bad = names.find((s) => !/^[A-Za-z0-9._-]{1,64}$/.test(s));
  if (bad !== undefined)
    throw new UsageError(
      `--agents: names are 1 to 64 letters, digits, ".", "_" or "-", comma-separated (or a count from 1 to ${INIT_MAX_AGENTS}); got ${quote(bad)}`,
    );
  if (new Set(names).size !== names.length) throw new UsageError(`--agents: the names must be distinct; got ${quote(value)}`);
  if (names.length > INIT_MAX_AGENTS) throw new UsageError(`--agents: at most ${INIT_MAX_AGENTS} names; got ${names.length}`);
  return names;
}

/** The starter workflow's routing probabilities: the first agent sends STARTER_OUT of its completions on (split evenly), each other returns STARTER_BACK. */
const STARTER_OUT = 0.9;
const STARTER_BACK = 0.5;

/**
 * The starter study for agents `names`: placeholder parameters — each agent offers half of an equal
 * share (λ = T/(2N): load 0.5 under static and round-robin at the measured load; `validate` shows
 * what adaptive, which shares by λ·R/P, makes of them), minimum shares summing to at most one half,
 * the first agent most important. With `workflow` (docs/workflows.md), the first agent is a
 * coordinator: requests enter there only (λ = 0 for the others), it sends 90 % of its completed
 * requests on, split evenly over the others, and each returns half to it; the coordinator's rate is
 * set so that the visits give the same load 0.5 (Σ γ_i/T_i), and work is counted in whole requests.
 */
export function starterStudy(names: readonly string[], workflow = false, serverless = false): Record<string, unknown> {
  const n = names.length;
  if (workflow && (n < 2 || n > HUB_MAX_AGENTS))
    throw new UsageError(
      `--workflow: the starter workflow routes from the first agent to each of the others: 2 to ${HUB_MAX_AGENTS} agents, got ${n}`,
    );
  const R = Math.max(0.01, Math.floor((0.5 / n) * 100) / 100);
  const agents = names.map((name, i) => {
    const T = PLACEHOLDER_T[i % PLACEHOLDER_T.length]!;
    return {
      name,
      T,
      R,
      P: i === 0 ? 1 : 2,
      lambda: Math.round((T / (2 * n)) * 100) / 100,
      ...(serverless ? { M: PLACEHOLDER_M[i % PLACEHOLDER_M.length]! } : {}),
    };
  });
  const out = Math.floor((STARTER_OUT / (n - 1)) * 100) / 100;
  const graph = workflow
    ? {
        entry: [names[0]!],
        routes: Object.fromEntries([
          [names[0]!, Object.fromEntries(names.slice(1).map((name) => [name, out]))],
          ...names.slice(1).map((name) => [name, { [names[0]!]: STARTER_BACK }]),
        ]) as Record<string, Record<string, number>>,
      }
    : null;
  if (graph !== null) {
    // The coordinator's external rate that keeps the fleet's load at 0.5, counted by visits (src/study/workflow.ts).
    const { lambda } = workflowRates(agents, fleetWorkflow(graph, names), true);
    agents.forEach((a, i) => (a.lambda = Math.round(lambda[i]! * 100) / 100));
  }
  const workflowFields = graph === null ? {} : { workflow: graph, work: 'exponentialCount' };
  const workflowComment =
    graph === null
      ? []
      : [
          `workflow (docs/workflows.md): requests enter at ${names[0]} (the entry: only it has a lambda); routes {from: {to: p}} say where each agent sends its completed requests (the rest leaves).`,
          'Here the first agent sends 90 % on, split evenly, and each other agent returns half to it: replace the probabilities with the fractions your logs show.',
          '"work": "exponentialCount": random service times in whole requests (a workflow routes whole requests). e2eLatency in the results is a request\u2019s mean time through the whole workflow.',
        ];
  const serverlessComment = serverless
    ? [
        'lifecycle (docs/serverless.md): each agent scales to zero after keepAlive seconds with nothing to do, and loads again when work arrives, taking coldStart + M/loadBandwidth seconds (M: its model in MB, the memory its engine reserves: measure it).',
        `memory: the card the models share (${STARTER_GPU}, 24 GB); a model that does not fit waits or evicts an idle one. The keepAlive axis trades resident cost (costResident) against cold-start delay (coldDelay).`,
      ]
    : [];
  return {
    $comment: [
      'A starter study written by `fleetsim init`: replace each agent\u2019s placeholder figures with your own, then run',
      '`fleetsim validate FILE` (it prints each agent\u2019s load under each policy, and the time the sweep will take) and',
      '`fleetsim sweep FILE --out DIR`. The fields (schema: `fleetsim schema`; docs/SWEEPS.md, docs/MODEL.md):',
      'T: requests/s the agent serves with the whole GPU to itself (measure: its throughput alone on the GPU, at your batch size).',
      'R: its minimum GPU share, 0 to 1 (the memory it needs to stay resident, as a fraction of the GPU). The minimum shares should sum to at most 1.',
      'P: its priority, 1 = most important (the adaptive policy divides an agent\u2019s demand by it).',
      'lambda: its mean request rate, requests/s (measure: requests over a busy hour of your logs, divided by 3,600 s).',
      'An agent whose lambda exceeds T times its share is unstable: its queue grows for the whole run and its latency depends on the run length.',
      'steps \u00d7 dt is the simulated time; warmup steps are simulated but not recorded (let the queues settle); replicates are independent arrival streams.',
      'The axis varies every rate together (loadScale): 1 is your measured load; drop it, or add axes (docs/SWEEPS.md).',
      `policies: the paper\u2019s three here; every registered one may be listed (\`fleetsim init --help\`, docs/policies.md): ${POLICY_NAMES.join(', ')}.`,
      ...workflowComment,
      ...serverlessComment,
    ],
    name: 'my-fleet',
    description: `${n} agent${n === 1 ? '' : 's'} sharing one GPU: placeholder figures, to be replaced with measurements`,
    seed: 1,
    fleet: { agents },
    ...workflowFields,
    arrivals: 'poisson',
    dt: 1,
    steps: 600,
    warmup: 100,
    replicates: 50,
    policies: [...PAPER_POLICIES],
    ...(serverless ? { lifecycle: { keepAlive: 60, coldStart: 5, loadBandwidth: 2, memory: { gpu: STARTER_GPU } } } : {}),
    axes: [
      { path: 'loadScale', values: [0.5, 1, 1.5] },
      ...(serverless ? [{ path: 'lifecycle.keepAlive', values: [10, 60, 300, 'never'] }] : []),
    ],
  };
}

/** The study as a file: two-space JSON, each agent on one line, short lists of values on one line. */
export function starterText(study: Record<string, unknown>): string {
  const oneLine = (block: string): string => block.replace(/\n\s*/g, ' ').replace(/\[ /g, '[').replace(/ \]/g, ']');
  const text = JSON.stringify(study, null, 2)
    .replace(/\{\n\s+"name": [^{}]*?\n\s+\}/g, oneLine) // an agent
    .replace(/\[\n[^[\]{}]*?\n\s*\]/g, (list) => (oneLine(list).length <= 80 ? oneLine(list) : list)) // policies, axis values
    .replace(/\{\n[^[\]{}]*?\n\s*\}/g, (row) => (oneLine(row).length <= 80 ? oneLine(row) : row)); // a workflow's routing rows
  return `${text}\n`;
}

/**
 * Writes the starter study to `file` (`-`: stdout) and returns what to tell the user (on stderr when
 * the study went to stdout). Refuses an existing file (UsageError, exit 2).
 */
export function initCommand(
  file: string,
  agents: readonly string[],
  workflow = false,
  serverless = false,
): { study: string; message: string | null } {
  const text = starterText(starterStudy(agents, workflow, serverless));
  if (agents.length > LIMITS.agents) throw new UsageError(`--agents: at most ${LIMITS.agents}`);
  if (file === '-') return { study: text, message: null };
  try {
    writeFileSync(file, text, { flag: 'wx' }); // wx: fails when the file exists, never overwrites
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new UsageError(
        `${displayPath(file)} already exists; fleetsim init does not overwrite a file (choose another name, or - for stdout)`,
      );
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`${displayPath(file)}: its directory does not exist`);
    throw fileSystemError(error, displayPath(file));
  }
  return {
    study: '',
    message: [
      `wrote ${displayPath(file)}: ${agents.length} placeholder agent${agents.length === 1 ? '' : 's'} (${agents.map((a) => displayPath(a)).join(', ')}); its "$comment" lines say what to measure`,
      'next:',
      `  edit T, R, P${serverless ? ', lambda and M' : ' and lambda'} of each agent${workflow ? " and the workflow's routing probabilities" : ''}${serverless ? ' and the lifecycle block' : ''} in ${displayPath(file)}`,
      `  fleetsim validate ${displayPath(file)}     # each agent's load under each policy, and the time it will take`,
      `  fleetsim sweep ${displayPath(file)} --out results/my-fleet`,
    ].join('\n'),
  };
}
