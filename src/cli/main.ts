/**
 * The `fleetsim` command. User mistakes (bad options, no adapter for --backend gpu) print one line and
 * exit with code 2; anything else is a bug and keeps its stack trace.
 */
import { Command, CommanderError, Option } from 'commander';
import { GpuError } from '../gpu/errors.js';
import { ConfigError } from '../model/errors.js';
import { packageVersion } from '../platform/node.js';
import { PAPER_CONFIG } from '../model/paper.js';
import { BACKENDS, type BackendChoice, openBackend } from './backend.js';
import { EXIT_USAGE, UsageError } from './errors.js';
import { monteCarloText, runMonteCarlo } from './montecarlo.js';
import { integerIn, parseSeed, parseSteps, positiveNumber } from './options.js';
import { paperJson, paperText, runPaper } from './paper.js';

const backendOption = (): Option =>
  new Option('--backend <name>', 'gpu (WebGPU via Dawn), cpu (reference engine) or auto (GPU when an adapter exists)')
    .choices(BACKENDS)
    .default('auto');
const lmaxOption = (): Option =>
  new Option('--lmax <seconds>', 'latency recorded for an agent with a zero share (L_max)')
    .argParser(positiveNumber('seconds'))
    .default(PAPER_CONFIG.lmax);

const notice = (line: string): void => void process.stderr.write(`${line}\n`);

function program(): Command {
  const cli = new Command('fleetsim')
    .description('WebGPU Monte Carlo simulator of GPU sharing among the agents of LLM multi-agent systems')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  cli
    .command('paper')
    .description("run the paper's scenario (arXiv 2512.22149) and print Table II beside the paper's figures")
    .addOption(backendOption())
    .addOption(lmaxOption())
    .addOption(new Option('--steps <n>', 'steps of Δt = 1 s').argParser(parseSteps).default(PAPER_CONFIG.steps))
    .option('--json', 'print one JSON object instead of tables')
    .action(async (opts: { backend: BackendChoice; lmax: number; steps: number; json?: boolean }) => {
      const backend = await openBackend(opts.backend, notice);
      try {
        const result = await runPaper(backend, opts);
        process.stdout.write(opts.json ? `${JSON.stringify(paperJson(result), null, 2)}\n` : `${paperText(result, opts)}\n`);
      } finally {
        backend.close();
      }
    });

  cli
    .command('montecarlo')
    .description('run random fleets under the three policies with Poisson arrivals and summarise')
    .addOption(backendOption())
    .addOption(new Option('--fleets <n>', 'random fleets to simulate').argParser(integerIn(1, 10_000_000)).default(10_000))
    .addOption(new Option('--steps <n>', 'steps of Δt = 1 s').argParser(parseSteps).default(100))
    .addOption(new Option('--seed <n>', 'seed of the fleets and arrival streams').argParser(parseSeed).default(1n, '1'))
    .addOption(lmaxOption())
    .option('--json', 'print one JSON object instead of tables')
    .action(async (opts: { backend: BackendChoice; fleets: number; steps: number; seed: bigint; lmax: number; json?: boolean }) => {
      const backend = await openBackend(opts.backend, notice);
      try {
        const result = await runMonteCarlo(backend, opts);
        process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${monteCarloText(result, opts)}\n`);
      } finally {
        backend.close();
      }
    });
  return cli;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE; // commander printed it
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`fleetsim: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof GpuError) {
      process.stderr.write(`fleetsim: GPU error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv);
