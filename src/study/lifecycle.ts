/**
 * The study file's `lifecycle` block (MODEL-PART4 §4.3–4.4; the engines' contract is
 * src/model/lifecycle.ts): its schema, the checks of the agents' models against the card, and its
 * engine form (SimConfig.lifecycle). Absent: the lifecycle is off and every result is the model's
 * without it. JSON has no Infinity, so a study writes `keepAlive: "never"` and `loadSlots:
 * "unlimited"`, and a card by name (`memory.gpu`, GPU_MEMORY_GB) or by size (`memory.gb`).
 * Browser-safe.
 *
 * @example
 *   const spec = lifecycleSpec(study.lifecycle); // undefined when the study has none
 */
import { z } from 'zod';
import {
  DEFAULT_LIFECYCLE,
  ELIGIBLE_RULES,
  EVICTION_RULES,
  GPU_MEMORY_GB,
  type GpuPreset,
  LIFECYCLE_RANGES,
  type LifecycleSpec,
  MB_PER_GB,
  memoryCapacityMB,
  modelMB,
} from '../model/lifecycle.js';

const meta = <T extends z.ZodType>(schema: T, description: string): T => schema.meta({ description });

/** A number in [lo, hi] whose error names the whole range (and what else is allowed). */
const within = (lo: number, hi: number, what: string): z.ZodNumber => {
  const range = `must be in [${lo}, ${hi}] (${what})`;
  return z.number().min(lo, { error: range }).max(hi, { error: range });
};

/** The card presets, in GPU_MEMORY_GB's order. */
export const GPU_PRESETS = Object.keys(GPU_MEMORY_GB) as [GpuPreset, ...GpuPreset[]];

const [KEEP_LO, KEEP_HI] = LIFECYCLE_RANGES.keepAlive;
const [COLD_LO, COLD_HI] = LIFECYCLE_RANGES.coldStart;
const [BW_LO, BW_HI] = LIFECYCLE_RANGES.loadBandwidth;
const [SLOTS_LO, SLOTS_HI] = LIFECYCLE_RANGES.loadSlots;
const [GB_LO, GB_HI] = LIFECYCLE_RANGES.gb;
const [USABLE_LO, USABLE_HI] = LIFECYCLE_RANGES.usable;
/** The largest model, MB (AgentSpec.M with the lifecycle on). */
export const MAX_MODEL_MB = LIFECYCLE_RANGES.modelMB[1];

export const MemoryStudySchema = z
  .strictObject({
    gpu: meta(
      z.enum(GPU_PRESETS, { error: `must be one of ${GPU_PRESETS.join(', ')} (or give memory.gb)` }),
      `a card by name: ${GPU_PRESETS.map((g) => `${g} ${GPU_MEMORY_GB[g]} GB`).join(', ')}; or give gb`,
    ).optional(),
    gb: meta(
      within(GB_LO, GB_HI, 'GB of GPU memory'),
      `M_GPU, the card's memory in GB, ${GB_LO} to ${GB_HI}; or name a card with gpu`,
    ).optional(),
    usable: meta(
      within(USABLE_LO, USABLE_HI, 'the fraction of the card the models may hold'),
      `u, the fraction of the card the models may hold, ${USABLE_LO} to ${USABLE_HI} (default 1); capacity ⌊u·M_GPU·1000⌋ MB`,
    ).default(1),
    evict: meta(
      z.enum(EVICTION_RULES),
      `which idle WARM agents make room first (docs/serverless.md): lru (longest idle), lowestPriority (largest P), largestFirst (largest M); default lru`,
    ).default('lru'),
  })
  .superRefine((m, ctx) => {
    if ((m.gpu === undefined) === (m.gb === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [m.gpu === undefined ? 'gpu' : 'gb'],
        message: `give exactly one of memory.gpu (${GPU_PRESETS.join(', ')}) or memory.gb (${GB_LO} to ${GB_HI})`,
      });
  });

/** The lifecycle settings a study writes, each with its default filled in but `memory` (absent: unlimited). */
export const LifecycleStudySchema = z.strictObject({
  keepAlive: meta(
    z.union([within(KEEP_LO, KEEP_HI, 'seconds, or "never"'), z.literal('never')]),
    `K, seconds a WARM agent with nothing to do stays loaded before it scales to zero, ${KEEP_LO} to ${KEEP_HI}, or "never" (no scale-to-zero); default ${DEFAULT_LIFECYCLE.keepAlive}`,
  ).default(DEFAULT_LIFECYCLE.keepAlive),
  coldStart: meta(
    within(COLD_LO, COLD_HI, 'seconds'),
    `C0, seconds of every load before the weights (container and runtime start), ${COLD_LO} to ${COLD_HI}; default ${DEFAULT_LIFECYCLE.coldStart}. An agent's load time is C_i = C0 + (M_i/1000)/loadBandwidth`,
  ).default(DEFAULT_LIFECYCLE.coldStart),
  loadBandwidth: meta(
    within(BW_LO, BW_HI, 'GB/s'),
    `B_load, GB/s at which the weights load, ${BW_LO} to ${BW_HI}; default ${DEFAULT_LIFECYCLE.loadBandwidth}`,
  ).default(DEFAULT_LIFECYCLE.loadBandwidth),
  initialPhase: meta(
    z.enum(['warm', 'cold']),
    `every agent's phase at step 0: warm (loaded; under a memory limit the pinned first, then in order while they fit) or cold; default ${DEFAULT_LIFECYCLE.initialPhase}`,
  ).default(DEFAULT_LIFECYCLE.initialPhase),
  eligible: meta(
    z.enum(ELIGIBLE_RULES),
    `who shares the GPU: all (the paper: a COLD or LOADING agent's share goes unused), warm (only WARM agents, as if they were the fleet), backlogged (WARM with work); default ${DEFAULT_LIFECYCLE.eligible}`,
  ).default(DEFAULT_LIFECYCLE.eligible),
  loadSlots: meta(
    z.union([within(SLOTS_LO, SLOTS_HI, 'loads at once per GPU, an integer, or "unlimited"'), z.literal('unlimited')]),
    `loads in flight at once per GPU, an integer ${SLOTS_LO} to ${SLOTS_HI}, or "unlimited"; default ${DEFAULT_LIFECYCLE.loadSlots} (loads share the host link)`,
  )
    .refine((x) => x === 'unlimited' || Number.isInteger(x), {
      error: (issue) => `must be an integer from ${SLOTS_LO} to ${SLOTS_HI}, or "unlimited", got ${String(issue.input)}`,
    })
    .default(DEFAULT_LIFECYCLE.loadSlots),
  memory: meta(
    MemoryStudySchema,
    'the GPU memory the models share: {gpu: card} or {gb}, usable, evict; absent: unlimited (nothing waits for memory or is evicted)',
  ).optional(),
});
export type LifecycleStudy = z.output<typeof LifecycleStudySchema>;

/** M_GPU in GB of a study's memory block. */
export const memoryGb = (memory: NonNullable<LifecycleStudy['memory']>): number =>
  memory.gpu !== undefined ? GPU_MEMORY_GB[memory.gpu] : memory.gb!;

/** The engine's form of a study's lifecycle block (SimConfig.lifecycle): "never" and "unlimited" as Infinity. */
export function lifecycleSpec(block: LifecycleStudy | undefined): LifecycleSpec | undefined {
  if (block === undefined) return undefined;
  const { memory } = block;
  return {
    keepAlive: block.keepAlive === 'never' ? Infinity : block.keepAlive,
    coldStart: block.coldStart,
    loadBandwidth: block.loadBandwidth,
    initialPhase: block.initialPhase,
    eligible: block.eligible,
    loadSlots: block.loadSlots === 'unlimited' ? Infinity : block.loadSlots,
    ...(memory === undefined ? {} : { memory: { gb: memoryGb(memory), usable: memory.usable, evict: memory.evict } }),
  };
}

/** The usable memory of a study's lifecycle block, MB (⌊u·M_GPU·1000⌋; Infinity without a memory limit). */
export function studyCapacityMB(block: LifecycleStudy): number {
  return block.memory === undefined ? Infinity : memoryCapacityMB({ gb: memoryGb(block.memory), usable: block.memory.usable });
}

/** A card in words for messages: "T4 (16 GB) × usable 0.9 = 14400 MB". */
export function capacityText(block: LifecycleStudy): string {
  const m = block.memory;
  if (m === undefined) return 'unlimited';
  const card = m.gpu !== undefined ? `${m.gpu} (${GPU_MEMORY_GB[m.gpu]} GB)` : `${m.gb} GB`;
  return `${card}${m.usable === 1 ? '' : ` × usable ${m.usable}`} = ${studyCapacityMB(block)} MB`;
}

/**
 * The problems of a fixed fleet's models under a lifecycle block, as [path under the study, message]:
 * a model above MAX_MODEL_MB or larger than the usable memory (naming the agent), a pinned set that
 * does not fit. `where` gives an agent's path (fleet.agents[i].M, or the preset's name).
 */
export function fleetMemoryProblems(
  agents: readonly { name?: string | undefined; M?: number | undefined; pinned?: boolean | undefined }[],
  block: LifecycleStudy,
  where: (i: number) => (string | number)[],
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const capacity = studyCapacityMB(block);
  let pinned = 0;
  let lastPinned = -1;
  agents.forEach((a, i) => {
    const m = modelMB(a.M);
    const who = a.name === undefined ? `agent ${i}` : `agent ${i} (${a.name})`;
    if (a.M !== undefined && a.M > MAX_MODEL_MB)
      problems.push({ path: where(i), message: `${who}: must be a model size from 0 to ${MAX_MODEL_MB} (MB), got ${a.M}` });
    else if (m > capacity)
      problems.push({
        path: where(i),
        message: `${who}: its model (${m} MB) must fit the GPU's usable memory, lifecycle.memory: ${capacityText(block)}`,
      });
    if (a.pinned === true) {
      pinned += m;
      lastPinned = i;
    }
  });
  if (lastPinned >= 0 && pinned > capacity && problems.length === 0)
    problems.push({
      path: ['fleet', 'agents', lastPinned, 'pinned'],
      message: `the pinned agents' models (${pinned} MB together) must fit the GPU's usable memory, lifecycle.memory: ${capacityText(block)}`,
    });
  return problems;
}

/** Σ m_i in GB of a fixed fleet's models (validate's memory line). */
export const fleetMemoryGb = (agents: readonly { M?: number | undefined }[]): number =>
  agents.reduce((sum, a) => sum + modelMB(a.M), 0) / MB_PER_GB;
