/**
 * The study editor's pure helpers: where in the text a problem's field is (so the page shows each
 * problem next to its line), the shipped studies scaled down to run in a page, the page's work limit,
 * and the study hash the CLI writes. No DOM; vitest runs these in Node.
 *
 * @example
 *   locate(text, 'fleet.agents[0].R') // { line: 7, column: 40 }
 */
import { type ExpandedStudy, expandStudy, parseStudyBase, StudyError } from '../../../src/study/cells.js';
import { parsePath } from '../../../src/study/paths.js';
import { studySize } from '../../../src/study/size.js';
import { maxAgents } from '../../../src/sweep/plan.js';
import { axisLabels, type Study } from '../../../src/study/schema.js';
import { JsonTextError, parseJsonText } from '../../../src/text/json.js';
import burstyText from '../../../sweeps/bursty-workloads.json?raw';
import gpuPoolText from '../../../sweeps/gpu-pool.json?raw';
import keepAliveText from '../../../sweeps/keep-alive.json?raw';
import memoryPressureText from '../../../sweeps/memory-pressure.json?raw';
import policyAtlasText from '../../../sweeps/policy-atlas.json?raw';
import loadCurveText from '../../../sweeps/load-curve.json?raw';
import monteCarloText from '../../../sweeps/montecarlo.json?raw';
import myFleetText from '../../../sweeps/my-fleet-example.json?raw';
import paperRobustnessText from '../../../sweeps/paper-robustness.json?raw';
import paperWorkflowText from '../../../sweeps/paper-workflow.json?raw';
import randomFleetsText from '../../../sweeps/random-fleets.json?raw';
import { studyIdentityText } from '../../../src/study/identity.js';

export interface Position {
  line: number; // 1-based
  column: number; // 1-based
}

type Key = string | number;

/**
 * The position of the value at `path` in JSON `text` (of its key, for object members), or of the
 * deepest enclosing value that exists; null when the text is not JSON. A small scanner: it only needs
 * to follow the structure, JSON.parse has already said whether the text is valid.
 */
export function locate(text: string, path: readonly Key[]): Position | null {
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0; // parseJsonText drops a byte-order mark
  let i = bom;
  const position = (at: number): Position => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    return { line, column: at - before.lastIndexOf('\n') };
  };
  const space = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const string = (): string => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return '';
    }
  };
  const found = { at: -1 }; // the deepest position of the path reached so far
  /** Skips one value; when `depth` < path.length and the value is a container, descends. */
  const value = (depth: number, keyAt: number): boolean => {
    space();
    found.at = keyAt;
    if (depth === path.length) return true;
    const want = path[depth];
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') {
        i++;
        return false;
      }
      for (;;) {
        space();
        const at = i;
        const key = string();
        space();
        i++; // ':'
        if (key === want) return value(depth + 1, at);
        skip();
        space();
        if (text[i] === ',') i++;
        else {
          i++;
          return false;
        }
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return false;
      }
      for (let index = 0; ; index++) {
        space();
        if (index === want) return value(depth + 1, i);
        skip();
        space();
        if (text[i] === ',') i++;
        else {
          i++;
          return false;
        }
      }
    }
    skip();
    return false;
  };
  const skip = (): void => {
    space();
    const c = text[i];
    if (c === '"') string();
    else if (c === '{' || c === '[') {
      let depth = 0;
      for (; i < text.length; i++) {
        const d = text[i];
        if (d === '"') {
          string();
          i--;
        } else if (d === '{' || d === '[') depth++;
        else if (d === '}' || d === ']') {
          depth--;
          if (depth === 0) {
            i++;
            return;
          }
        }
      }
    } else while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
  };
  try {
    JSON.parse(text.slice(bom));
  } catch {
    return null;
  }
  value(0, bom);
  return position(found.at);
}

/** The field path at the start of a problem line, as keys (`cell 3 (…): warmup: …` → ['warmup']). */
export function problemPath(problem: string): Key[] | null {
  const rest = problem.replace(/^cell \d+ \(.*?\): /, '');
  const head = /^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[\d+\])*)(?:\.set\["[^"]*"\]| \([^)]*\))?(?:\.set)?: /.exec(rest)?.[1];
  return head === undefined ? null : parsePath(head);
}

/** The line of a JSON syntax error, from its message (parseJsonText: "… at line 3, column 5"; V8: "(line 3 column 5)" or "at position 42"). */
export function syntaxLine(text: string, message: string): number | null {
  const line = /line (\d+),? column \d+/.exec(message);
  if (line) return Number(line[1]);
  const at = /position (\d+)/.exec(message);
  if (at) return text.slice(0, Number(at[1])).split('\n').length;
  return null;
}

export interface StudyProblem {
  text: string; // the problem line, as the CLI prints it
  line: number | null; // where in the editor
}

/** Every problem of a study text with its line in the editor. */
export function studyProblems(text: string, error: StudyError): StudyProblem[] {
  return error.problems.map((problem) => {
    const syntax = / not valid JSON \((.*)\)$/.exec(problem);
    if (syntax) return { text: problem, line: syntaxLine(text, syntax[1]!) };
    const at = /^study: line (\d+), column \d+: /.exec(problem); // a key written twice (parseJsonText)
    if (at) return { text: problem, line: Number(at[1]) };
    // "study: …" is the text as a whole (too deep, empty), not a field named study
    const path = problem.startsWith('study: ') ? null : problemPath(problem);
    return { text: problem, line: path === null ? null : (locate(text, path)?.line ?? null) };
  });
}

/**
 * Most work a study run in the page may ask for, in agent-steps (agents × steps × fleet runs ×
 * policies, summed over cells): about a minute on a laptop's WebGPU, hours on SwiftShader or the CPU
 * worker. Larger studies belong on the command line; the page says so instead of starting.
 */
export const PAGE_MAX_AGENT_STEPS = 2e10;

/**
 * Most cells a study run in the page may have. Checked on the base study before the grid is expanded:
 * expanding checks every cell with the schema (about a second for 2,000 cells in a tab), and a grid of
 * the CLI's limit (100,000 cells) would freeze the tab for many minutes.
 */
export const PAGE_MAX_CELLS = 2_000;

/**
 * Most expansion work the page starts, in characters of study copied: expanding applies each axis value
 * to a copy of the study (once per axis value, then once per cell and axis), so a long study with a
 * large grid costs their product. About a few seconds in a tab.
 */
export const PAGE_MAX_EXPANSION = 1e8;

/** Path segments that lead to an object's prototype rather than to a study field. */
/** Upper bound of a study's agent-steps (random fleets at their largest size). */
export function studyAgentSteps(expanded: ExpandedStudy): number {
  return expanded.cells.reduce(
    (n, c) => n + maxAgents(c.study) * c.study.steps * c.study.samples * c.study.replicates * c.study.policies.length,
    0,
  );
}

const tooMuch = (work: number, cells: number): StudyError =>
  new StudyError([
    `samples: the study needs up to ${work.toExponential(2)} agent-steps (agents × steps × samples × replicates × policies over ${cells.toLocaleString('en')} cell(s)); the page runs at most ${PAGE_MAX_AGENT_STEPS.toExponential(0)}: scale samples, replicates or steps down, or run it with \`fleetsim sweep\``,
  ]);

/**
 * Parses and checks a study for the page: strict JSON (a byte-order mark dropped, nesting and
 * duplicate keys refused), the base study by the CLI's schema, then its size against the page's limits
 * (in O(axes), before anything is expanded), then the grid expanded and every cell checked, then the
 * page's work limit on the cells as they are.
 */
export function pageStudy(text: string): ExpandedStudy {
  let json: unknown;
  try {
    json = parseJsonText(text, 'study');
  } catch (error) {
    if (error instanceof JsonTextError) throw new StudyError(error.problems);
    throw error;
  }
  const base = parseStudyBase(json); // axis paths name schema fields only: none reaches a prototype
  const size = studySize(base);
  if (size.cells > PAGE_MAX_CELLS) {
    throw new StudyError([
      `axes: the grid has ${size.cells.toLocaleString('en')} cells; the page runs at most ${PAGE_MAX_CELLS.toLocaleString('en')} (fewer axis values, or run it with \`fleetsim sweep\`)`,
    ]);
  }
  if (size.agentSteps > PAGE_MAX_AGENT_STEPS) throw tooMuch(size.agentSteps, size.cells);
  const values = base.axes.reduce((n, a) => n + axisLabels(a).length, 0);
  const expansion = (values + size.cells * base.axes.length) * text.length;
  if (expansion > PAGE_MAX_EXPANSION) {
    throw new StudyError([
      `axes: expanding ${size.cells.toLocaleString('en')} cell(s) of a study of ${text.length.toLocaleString('en')} characters is more work than the page starts (${expansion.toExponential(1)} characters copied; at most ${PAGE_MAX_EXPANSION.toExponential(0)}): shorten the study or its grid, or run it with \`fleetsim sweep\``,
    ]);
  }
  const expanded = expandStudy(json);
  const work = studyAgentSteps(expanded);
  if (work > PAGE_MAX_AGENT_STEPS) throw tooMuch(work, expanded.cells.length);
  return expanded;
}

/** The shipped studies (sweeps/*.json), scaled to finish in seconds in a page; the note says how. */
const json = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;
const loadCurve = json(loadCurveText);
const randomFleets = json(randomFleetsText);
const paperRobustness = json(paperRobustnessText);
const monteCarlo = json(monteCarloText);
const bursty = json(burstyText);
const policyAtlas = json(policyAtlasText);

export const EXAMPLES: readonly { name: string; note: string; study: Record<string, unknown> }[] = [
  { name: 'load-curve', note: '50 fleets per point instead of 1,000', study: { ...loadCurve, samples: 50 } },
  { name: 'random-fleets', note: '200 fleets × 2 replicates instead of 10,000 × 2', study: { ...randomFleets, samples: 200 } },
  {
    name: 'paper-robustness',
    note: '10 replicates of 200 steps instead of 100 of 1,000',
    study: { ...paperRobustness, replicates: 10, steps: 200 },
  },
  { name: 'montecarlo', note: '1,000 fleets instead of 10,000', study: { ...monteCarlo, samples: 1000 } },
  {
    name: 'bursty-workloads',
    note: '20 fleets per cell instead of 1,000 (the Azure trace is bundled with the page)',
    study: { ...bursty, samples: 20 },
  },
  { name: 'my-fleet-example', note: 'as shipped (a fixed six-agent fleet: seconds)', study: json(myFleetText) },
  {
    name: 'policy-atlas',
    note: '20 fleets per cell and 300 steps instead of 300 and 600 (the step-by-step policies cost more per agent-step)',
    study: { ...policyAtlas, samples: 20, steps: 300 },
  },
  {
    name: 'paper-workflow',
    note: '5 replicates of 4,000 steps instead of 20 of 10,000 (a workflow is stepped agent by agent, step by step)',
    study: { ...json(paperWorkflowText), replicates: 5, steps: 4000 },
  },
  {
    name: 'keep-alive',
    note: '4 fleets per cell and 1,500 steps (1,200 recorded) instead of 16 and 3,900 (3,600): its keep-alive axis draws the cost–latency trade-off',
    study: { ...json(keepAliveText), samples: 4, steps: 1500 },
  },
  {
    name: 'memory-pressure',
    note: '8 fleets per cell and 1,500 steps (1,200 recorded) instead of 32 and 3,900 (3,600)',
    study: { ...json(memoryPressureText), samples: 8, steps: 1500 },
  },
  {
    name: 'gpu-pool',
    note: '4 fleets per cell and 1,500 steps (1,200 recorded) instead of 16 and 3,900 (3,600): placement against one pool on 2 and 4 GPUs',
    study: { ...json(gpuPoolText), samples: 4, steps: 1500 },
  },
].map((e) => {
  const study: Record<string, unknown> = { ...e.study };
  delete study.$schema; // relative to the repository, meaningless in the page
  return { ...e, study };
});

/** SHA-256 of the study with its defaults filled in, as `fleetsim sweep` writes it (src/study/identity.ts). */
export async function studyHash(study: Study): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(studyIdentityText(study)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
