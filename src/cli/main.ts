/**
 * The `fleetsim` command (bin/fleetsim.js calls `main`). User mistakes (bad options, no adapter for
 * --backend gpu) print one line and exit with code 2, faults of the machine (a full disk, a GPU that
 * failed) one line and code 3 (src/cli/errors.ts); anything else is a bug and keeps its stack trace.
 * The modules a command runs are imported in its action, so that each command loads only its own;
 * the static imports are what the program and its help need.
 */
import { MAX_GPUS } from '../model/placement.js';
import { Command, CommanderError, Option } from 'commander';
import { GpuError } from '../gpu/errors.js';
import { ConfigError } from '../model/errors.js';
import { packageRoot, packageVersion } from '../platform/node.js';
import { PAPER_CONFIG } from '../model/paper.js';
import { BACKENDS, type BackendChoice, DEFAULT_CPU_THREADS, MAX_THREADS, openBackend } from './backend.js';
import { EnvironmentError, EXIT_ENVIRONMENT, EXIT_USAGE, UsageError } from './errors.js';
import { cpuKernelChoice } from '../cpu/wasm/kernel.js';
import { displayPath, quote } from '../text/quote.js';
import { InputError } from '../results/errors.js';
import { commanderMessage, integerIn, parseLmax, parseShardText, parseSteps, parseStudySeed, positiveNumber } from './options.js';
import { expandStudy, StudyError } from '../study/cells.js';
import { LIMITS, studyJsonSchema } from '../study/schema.js';
import { policyHelpLines } from '../study/policyInfo.js';
import { ELIGIBLE_RULES, EVICTION_RULES, LIFECYCLE_RANGES } from '../model/lifecycle.js';
import { GPU_PRESETS } from '../study/lifecycle.js';
import { join } from 'node:path';
import { DEFAULT_BATCH_AGENT_RUNS } from '../sweep/run.js';
import { addReportCommand } from './report.js';
import { addViewCommand } from './view.js';
import { INIT_DEFAULT_AGENTS, INIT_DEFAULT_FILE, INIT_MAX_AGENTS, initCommand, parseAgents } from './init.js';
import { parseResolution, parseTraceName, traceImportCommand, traceInfoCommand, type TraceImportOptions } from './trace.js';
import { DEFAULT_RESOLUTION, TIMESTAMP_FORMATS } from '../traces/import.js';

const backendOption = (): Option =>
  new Option('--backend <name>', 'gpu (WebGPU via Dawn), cpu (reference engine, all cores) or auto (GPU when an adapter exists)')
    .choices(BACKENDS)
    .default('auto');
const threadsOption = (): Option =>
  new Option(
    '--threads <n>',
    `CPU engine threads, 1 to ${MAX_THREADS} (twice the cores, at least 4: more buy no speed and cost memory); 1 = the single-thread reference, no workers; the results do not depend on it`,
  )
    .argParser(integerIn(1, MAX_THREADS))
    .default(DEFAULT_CPU_THREADS, `all cores: ${DEFAULT_CPU_THREADS}`);
const lmaxOption = (): Option =>
  new Option('--lmax <seconds>', `latency recorded for an agent with a zero share (L_max), > 0 and ≤ ${LIMITS.lmax}`)
    .argParser(parseLmax)
    .default(PAPER_CONFIG.lmax);

const verboseOption = (): Option =>
  new Option('--verbose', "let Dawn's own log through to stderr (its warnings while it finds the GPU adapter; hidden by default)");

/** `bench --budget` at most a day: a bound, so that a typo cannot make the suite run for weeks. */
const BENCH_BUDGET_MAX = 86_400;

const notice = (line: string): void => void process.stderr.write(`${line}\n`);

/** The registry's policies, the workflow and lifecycle fields, for the help of the commands whose study files name them. */
const policiesHelp = (): string =>
  [
    '',
    'Policies (a study\'s "policies" field; default: all of them; formulas and settings in docs/policies.md):',
    ...policyHelpLines(),
    '',
    'Workflows (a study\'s "workflow" field; docs/workflows.md): agents that feed each other, between named agents',
    '  {"entry": [...], "routes": {"from": {"to": p}}, "forkJoin": {"fork", "join"}} or for any fleet a template',
    '  {"template": "hub", "out", "back"} / {"template": "chain", "next"}; e2eLatency in the results is the end-to-end latency.',
    '',
    'Serverless lifecycle (a study\'s "lifecycle" field; docs/serverless.md): agents scale to zero and load again on demand',
    `  {"keepAlive": s ${LIFECYCLE_RANGES.keepAlive[0]}–${LIFECYCLE_RANGES.keepAlive[1]} or "never", "coldStart": s ${LIFECYCLE_RANGES.coldStart[0]}–${LIFECYCLE_RANGES.coldStart[1]}, "loadBandwidth": GB/s ${LIFECYCLE_RANGES.loadBandwidth[0]}–${LIFECYCLE_RANGES.loadBandwidth[1]},`,
    `   "eligible": ${ELIGIBLE_RULES.join('|')}, "initialPhase": warm|cold, "loadSlots": n or "unlimited",`,
    `   "memory": {"gpu": ${GPU_PRESETS.join('|')} or "gb": n, "usable": 0.05–1, "evict": ${EVICTION_RULES.join('|')}}};`,
    '  per agent "M" (model MB: load time and memory) and "pinned"; random fleets draw "M". Each field may be an axis (e.g. "lifecycle.keepAlive").',
    '',
    `Several GPUs (a fleet's "gpus", 1–${MAX_GPUS}; docs/serverless.md#several-gpus): the capacity (default: gpus) split evenly, each GPU`,
    '  running the policy over its own agents with its own memory; per agent "gpu" (0 to gpus − 1), else placed by LPT on γ/T.',
    '  An axis may set it ("fleet.gpus"); gpuImbalance, gpuUtilizationMin and gpuUtilizationMax in the results.',
    '  "gpuMode": "pool" (docs/serverless.md#one-pool) makes them one pool instead: one allocator over every agent at the whole',
    '  capacity, each agent at most its "cap" (U_i, GPUs; default 1); memory per GPU, a load on the GPU with the most free',
    '  memory; no agent "gpu", no fixedShares or roundRobinSkipIdle. An axis may set it ("fleet.gpuMode").',
  ].join('\n');

function program(): Command {
  const cli = new Command('fleetsim')
    .description('WebGPU Monte Carlo simulator of GPU sharing among the agents of LLM multi-agent systems')
    .version(packageVersion())
    .exitOverride()
    // One line per mistake, every echoed argument quoted (src/cli/options.ts); subcommands inherit it.
    .configureOutput({ outputError: (message, write) => write(commanderMessage(message)) });

  cli
    .command('paper')
    .description("run the paper's scenario (arXiv 2512.22149) and print Table II beside the paper's figures")
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(lmaxOption())
    .addOption(new Option('--steps <n>', 'steps of Δt = 1 s').argParser(parseSteps).default(PAPER_CONFIG.steps))
    .option('--json', 'print one JSON object instead of tables')
    .addOption(verboseOption())
    .action(async (opts: { backend: BackendChoice; threads: number; lmax: number; steps: number; json?: boolean; verbose?: boolean }) => {
      const { finiteJson, paperJson, paperText, runPaper } = await import('./paper.js');
      const backend = await openBackend(opts.backend, notice, { threads: opts.threads, verbose: opts.verbose ?? false });
      try {
        const result = await runPaper(backend, opts);
        process.stdout.write(opts.json ? `${finiteJson(paperJson(result))}\n` : `${paperText(result, opts)}\n`);
      } finally {
        backend.close();
      }
    });

  cli
    .command('montecarlo')
    .description('run the shipped study sweeps/montecarlo.json (random fleets under the three policies) in memory and summarise it')
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(
      new Option('--fleets <n>', `random fleets to simulate, 1 to ${LIMITS.samples} (default: the study's samples)`).argParser(
        integerIn(1, LIMITS.samples),
      ),
    )
    .addOption(new Option('--steps <n>', "steps per run (default: the study's)").argParser(parseSteps))
    .addOption(new Option('--seed <n>', "seed of the fleets and arrival streams (default: the study's)").argParser(parseStudySeed))
    .addOption(
      new Option(
        '--lmax <seconds>',
        `latency recorded for an agent with a zero share, > 0 and ≤ ${LIMITS.lmax} (default: the study's)`,
      ).argParser(parseLmax),
    )
    .option('--json', 'print one JSON object instead of tables')
    .addOption(verboseOption())
    .action(
      async (opts: {
        backend: BackendChoice;
        threads: number;
        fleets?: number;
        steps?: number;
        seed?: number;
        lmax?: number;
        json?: boolean;
        verbose?: boolean;
      }) => {
        const { finiteJson } = await import('./paper.js');
        const { monteCarloText, runMonteCarlo } = await import('./montecarlo.js');
        const backend = await openBackend(opts.backend, notice, { threads: opts.threads, verbose: opts.verbose ?? false });
        try {
          const { result, study } = await runMonteCarlo(backend, opts);
          process.stdout.write(opts.json ? `${finiteJson(result)}\n` : `${monteCarloText(result, study)}\n`);
        } finally {
          backend.close();
        }
      },
    );
  cli
    .command('sweep')
    .description('run a study file: every cell of its grid × fleet samples × replicates × policies (docs/SWEEPS.md)')
    .usage('<study> --out <dir> [options]')
    .argument('<study>', 'the study file (JSON; schema/study.schema.json)')
    .addHelpText('after', policiesHelp)
    .requiredOption('--out <dir>', 'required: the result directory (created; must not hold another sweep unless --resume)')
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(new Option('--seed <n>', "overrides the study's seed").argParser(parseStudySeed))
    .addOption(
      new Option(
        '--shard <I/N>',
        'run shard I of N (0 ≤ I < N ≤ 100000); or N alone, I from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID',
      ).argParser(parseShardText),
    )
    .option('--resume', 'continue an interrupted sweep in --out from its last completed batch')
    .option('--quiet', 'no header, progress bar or summary on stdout')
    .addOption(verboseOption())
    .addOption(
      new Option(
        '--batch-size <agentRuns>',
        `agent-runs per batch, about 300 bytes of host memory each; the results do not depend on it (default: about 1/32 of the sweep, at most ${DEFAULT_BATCH_AGENT_RUNS}, and with the progress bar at most one unit of work, so that the bar moves per unit)`,
      ).argParser(integerIn(1, 1 << 26)),
    )
    .action(
      async (
        file: string,
        opts: {
          out: string;
          backend: BackendChoice;
          threads: number;
          seed?: number;
          shard?: string;
          resume?: boolean;
          quiet?: boolean;
          verbose?: boolean;
          batchSize?: number;
        },
      ) => {
        const { loadStudy, parseShard, runSweepCommand, sweepText } = await import('./sweep.js');
        const shard = parseShard(opts.shard);
        const loaded = await loadStudy(file, { seed: opts.seed });
        for (const note of loaded.notes ?? []) notice(note);
        // Only a valid study opens the engine. The sweep waits for it only before it touches --out: the
        // GPU compiles its pipelines while the sweep loads the rest of its modules and plans.
        const opening = openBackend(opts.backend, notice, { threads: opts.threads, verbose: opts.verbose ?? false });
        opening.catch(() => undefined); // an engine that fails to open is reported through runSweepCommand
        try {
          const outcome = await runSweepCommand(file, loaded, opening, {
            out: opts.out,
            shard,
            resume: opts.resume ?? false,
            quiet: opts.quiet ?? false,
            ...(opts.batchSize === undefined ? {} : { batchAgentRuns: opts.batchSize }),
          });
          if (!opts.quiet) {
            process.stdout.write(`${sweepText(outcome, await opening)}\n`);
          }
        } finally {
          void opening.then(
            (backend) => backend.close(),
            () => undefined,
          );
        }
      },
    );

  cli
    .command('demo')
    .description("what `npm start` runs: the paper's Table II, then the shipped load-curve sweep into results/")
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(verboseOption())
    .action(async (opts: { backend: BackendChoice; threads: number; verbose?: boolean }) => {
      const { paperText, runPaper } = await import('./paper.js');
      const { loadStudy, runSweepCommand, sweepText } = await import('./sweep.js');
      const { WHOLE } = await import('../sweep/plan.js');
      const backend = await openBackend(opts.backend, notice, { threads: opts.threads, verbose: opts.verbose ?? false });
      try {
        const paper = await runPaper(backend, { lmax: PAPER_CONFIG.lmax, steps: PAPER_CONFIG.steps });
        process.stdout.write(`${paperText(paper, { lmax: PAPER_CONFIG.lmax, steps: PAPER_CONFIG.steps })}\n\n`);
        const file = join(packageRoot(), 'sweeps', 'load-curve.json');
        const loaded = await loadStudy(file);
        const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
        const out = join('results', `load-curve-${stamp}`);
        const outcome = await runSweepCommand(file, loaded, backend, { out, shard: WHOLE, resume: false, quiet: false });
        process.stdout.write(`${sweepText(outcome, backend)}\n`);
      } finally {
        backend.close();
      }
    });

  cli
    .command('bench')
    .description('the GPU-against-CPU benchmark suite (src/bench/suite.ts): a table, and bench/results/<date>-<host>.json')
    .addOption(
      new Option('--budget <seconds>', `stop growing a workload for a backend once one run takes longer (> 0 and ≤ ${BENCH_BUDGET_MAX} s)`)
        .argParser(positiveNumber('seconds', BENCH_BUDGET_MAX))
        .default(20),
    )
    .addOption(new Option('--repeats <n>', 'timed runs per figure, after a warm-up').argParser(integerIn(1, 1000)).default(3))
    .option('--quick', 'small sizes and 200 steps: a smoke test of the suite')
    .option('--out <dir>', 'directory for the results file (default bench/results)')
    .option('--workloads <names>', 'only these workloads, comma-separated (a trailing * matches a prefix); no scaling or allocator runs')
    .action(async (opts: { budget: number; repeats: number; quick?: boolean; out?: string; workloads?: string }) => {
      const { runBenchSuite } = await import('../bench/suite.js'); // loaded only for this command
      const { WORKLOADS } = await import('../bench/workloads.js');
      const workloads = opts.workloads?.split(',').filter((w) => w !== '');
      const names = WORKLOADS.map((w) => w.name);
      for (const pattern of workloads ?? []) {
        const matches = (name: string): boolean => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern);
        if (!names.some(matches)) throw new UsageError(`--workloads: no workload matches ${quote(pattern)}; allowed: ${names.join(', ')}`);
      }
      await runBenchSuite({ ...opts, workloads });
    });

  cli
    .command('validate')
    .description(
      "check a study file without running it: every problem, one line each; then the work estimate, and for fixed fleets each agent's load under each policy (warnings exit 0)",
    )
    .argument('<study>', 'the study file (JSON)')
    .addHelpText('after', policiesHelp)
    .action(async (file: string) => {
      const { validateCommand } = await import('./validate.js');
      process.stdout.write(`${await validateCommand(file)}\n`);
    });

  cli
    .command('init')
    .description('write a starter study for your own agents (placeholder figures to replace, explained in its "$comment" lines)')
    .argument('[file]', `the study file to write (never overwritten); - for stdout`, INIT_DEFAULT_FILE)
    .addHelpText('after', policiesHelp)
    .addOption(
      new Option('--agents <n|names>', `a count (1 to ${INIT_MAX_AGENTS}) or comma-separated names, e.g. planner,coder,critic`)
        .argParser(parseAgents)
        .default(parseAgents(String(INIT_DEFAULT_AGENTS)), String(INIT_DEFAULT_AGENTS)),
    )
    .option(
      '--workflow',
      'make the first agent a coordinator that feeds the others and gets half of their completions back (a "workflow" field; docs/workflows.md)',
    )
    .option(
      '--serverless',
      `add a serverless lifecycle (a "lifecycle" field; docs/serverless.md): placeholder model sizes M, scale-to-zero after 60 s idle, a 24 GB card, and a keep-alive axis`,
    )
    .action((file: string, opts: { agents: string[]; workflow?: boolean; serverless?: boolean }) => {
      const { study, message } = initCommand(file, opts.agents, opts.workflow ?? false, opts.serverless ?? false);
      process.stdout.write(study);
      if (message !== null) process.stdout.write(`${message}\n`);
    });

  cli
    .command('merge')
    .description('combine the shard directories of one sweep into the result an unsharded run gives')
    .argument('<dirs...>', 'the shard result directories (all N of them)')
    .requiredOption('--out <dir>', 'directory for the merged result')
    .action(async (dirs: string[], opts: { out: string }) => {
      const { mergeCommand, studyHash } = await import('./sweep.js');
      const result = await mergeCommand(dirs, opts.out, (json) => {
        const expanded = expandStudy(json);
        return Promise.resolve({ ...expanded, hash: studyHash(expanded.study) });
      });
      process.stdout.write(`merged ${result.shards} shards (${result.fleetRuns} fleet runs) into ${displayPath(opts.out)}\n`);
    });

  const trace = cli
    .command('trace')
    .description('real arrival traces: import a CSV into the derived format, describe a trace (traces/README.md)');
  trace
    .command('import')
    .description('bin a CSV of request timestamps into a fleetsim trace (JSON)')
    .argument('<file>', 'the CSV file (a header row when --timestamp-column is a name)')
    .requiredOption('--timestamp-column <column>', 'the header name, or a 0-based index, of the timestamp column')
    .addOption(
      new Option('--format <format>', 'auto: datetime when the first value looks like YYYY-MM-DD HH:MM:SS, else seconds')
        .choices(TIMESTAMP_FORMATS)
        .default('auto'),
    )
    .addOption(
      new Option('--resolution <seconds>', 'bin width of the stored counts').argParser(parseResolution).default(DEFAULT_RESOLUTION),
    )
    .addOption(
      new Option('--name <name>', "the trace's name, 1 to 200 characters (default: the file's base name)").argParser(parseTraceName),
    )
    .requiredOption('--out <file>', 'the JSON file to write (atomically)')
    .option('--force', 'overwrite --out if it exists')
    .action(async (file: string, opts: TraceImportOptions) => {
      process.stdout.write(`${await traceImportCommand(file, opts)}\n`);
    });
  trace
    .command('info')
    .description('requests, duration, mean rate, IDC at 1/10/60/300 s, MMPP fit, licence and attribution')
    .argument('<trace>', 'a shipped name (azure-llm-2023-conv, servegen-deepseek-r1) or a .json file')
    .action((name: string) => {
      process.stdout.write(`${traceInfoCommand(name)}\n`);
    });

  addReportCommand(cli);
  addViewCommand(cli);

  cli
    .command('schema')
    .description('print the JSON Schema of study files (the same as schema/study.schema.json)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(studyJsonSchema(), null, 2)}\n`);
    });
  return cli;
}

/** Runs the command line `argv` (as process.argv: node, script, arguments…); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    cpuKernelChoice(); // a bad FLEETSIM_CPU_KERNEL is a usage error before any work starts
    await program().parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE; // commander printed it
    if (error instanceof StudyError) {
      for (const line of error.problems) process.stderr.write(`fleetsim: ${line}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof InputError) {
      process.stderr.write(`fleetsim: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof EnvironmentError) {
      process.stderr.write(`fleetsim: ${error.message}\n`);
      return EXIT_ENVIRONMENT;
    }
    if (error instanceof GpuError) {
      process.stderr.write(`fleetsim: GPU error: ${error.message}\n`);
      return EXIT_ENVIRONMENT;
    }
    throw error;
  }
}
