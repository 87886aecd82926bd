/**
 * `fleetsim view DIR [--port N] [--no-open]`: serves the built page (web/dist, shipped in the npm
 * package) on 127.0.0.1 with the sweep in DIR preloaded: the page reads `?sweep=sweep/`, fetches the
 * listing sweep/files.json and then each file (web/lib/preload.ts), and opens them in the Sweep view.
 *
 * Read-only and closed by construction: the server answers GET and HEAD for a fixed table of paths made
 * at start (the page's files, and the sweep's result files under /sweep/), matched byte for byte against
 * the request's path, never decoded or joined to a directory, so `..`, `%2e%2e` or an absolute path
 * find nothing (404). Requests whose Host is not this server's (DNS rebinding) are refused (403).
 * Ctrl-C (SIGINT) or SIGTERM stops it.
 */
import { spawn } from 'node:child_process';
import { createReadStream, lstatSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { type Command, Option } from 'commander';
import { displayPath } from '../text/quote.js';
import { integerIn } from './options.js';
import { EnvironmentError } from './errors.js';
import { errnoCode } from './outDir.js';
import { preloadListing, readSweepDir, viewerPath } from './report.js';

/** The folder of the sweep's files in the served site (the page's `?sweep=` parameter). */
export const SWEEP_FOLDER = 'sweep';
/** The page reads at most 512 MiB of files at once (web/views/sweep/files.ts MAX_BYTES.total): the rows get what the tables leave. */
const PAGE_TOTAL_BYTES = 512 * 1024 * 1024;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.arrow': 'application/vnd.apache.arrow.file',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** What one path of the site answers: a file read at request time, or a body made at start. */
type Route = { file: string; type: string } | { body: Buffer; type: string };

/** Every regular file under `root` (no links followed), by URL path; `skip`: top-level folders left out. */
function siteFiles(root: string, skip: readonly string[]): Map<string, Route> {
  const routes = new Map<string, Route>();
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      if (stat.isDirectory() && !(prefix === '/' && skip.includes(name))) walk(path, `${prefix}${name}/`);
      else if (stat.isFile())
        routes.set(`${prefix}${name}`, { file: path, type: TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream' });
    }
  };
  walk(root, '/');
  const index = routes.get('/index.html');
  if (index) routes.set('/', index);
  return routes;
}

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** The request handler over a fixed route table; `hosts`: the Host headers this server answers to. */
function handler(routes: ReadonlyMap<string, Route>, hosts: () => ReadonlySet<string>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const reply = (status: number, text: string): void => {
      res.writeHead(status, { ...HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : `${text}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return reply(405, 'read-only: GET and HEAD only');
    }
    if (!hosts().has((req.headers.host ?? '').toLowerCase())) return reply(403, 'this server answers requests for its own address only');
    const target = req.url ?? '';
    if (!target.startsWith('/')) return reply(400, 'a path is expected');
    const route = routes.get(target.replace(/[?#].*$/s, ''));
    if (route === undefined) return reply(404, 'not found');
    if ('body' in route) {
      res.writeHead(200, { ...HEADERS, 'content-type': route.type, 'content-length': route.body.length });
      res.end(req.method === 'HEAD' ? undefined : route.body);
      return;
    }
    let size: number;
    try {
      size = statSync(route.file).size;
    } catch {
      return reply(404, 'not found (the file is gone)');
    }
    res.writeHead(200, { ...HEADERS, 'content-type': route.type, 'content-length': size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(route.file)
      .on('error', () => res.destroy())
      .pipe(res);
  };
}

export interface ViewServer {
  /** The page with the sweep preloaded. */
  url: string;
  /** The server's root (http://127.0.0.1:PORT/). */
  origin: string;
  server: Server;
  omitted: string[];
  close(): Promise<void>;
}

/** Starts the server for the sweep in `dir` on 127.0.0.1:`port` (0: any free port). */
export async function startViewServer(dir: string, port: number): Promise<ViewServer> {
  const root = viewerPath('index.html').replace(/index\.html$/, '');
  const rows = (bytes: number) => ({ bytes, name: "page's limit", advice: 'read them with pandas or pyarrow' });
  let fitted = await readSweepDir(dir, rows(PAGE_TOTAL_BYTES));
  const bytes = (binary: boolean): number => fitted.files.filter((f) => f.binary === binary).reduce((n, f) => n + f.size, 0);
  // the rows get what the tables leave of the page's limit
  if (bytes(false) + bytes(true) > PAGE_TOTAL_BYTES) fitted = await readSweepDir(dir, rows(PAGE_TOTAL_BYTES - bytes(false)));

  const routes = siteFiles(root, ['report']); // the report's template is not a page of this site
  for (const f of fitted.files)
    routes.set(`/${SWEEP_FOLDER}/${f.name}`, { file: f.path, type: TYPES[extname(f.name)] ?? 'application/octet-stream' });
  routes.set(`/${SWEEP_FOLDER}/files.json`, { body: Buffer.from(JSON.stringify(preloadListing(fitted, false))), type: TYPES['.json']! });

  let hosts = new Set<string>();
  const server = createServer(handler(routes, () => hosts));
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  }).catch((error: unknown) => {
    const code = errnoCode(error);
    if (code === 'EADDRINUSE')
      throw new EnvironmentError(`--port ${port}: the port is in use (EADDRINUSE); choose another, or --port 0 for any free one`);
    if (code === 'EACCES') throw new EnvironmentError(`--port ${port}: permission denied (EACCES); ports below 1024 need privileges`);
    throw error;
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no port');
  hosts = new Set([`127.0.0.1:${address.port}`, `localhost:${address.port}`]);
  const origin = `http://127.0.0.1:${address.port}/`;
  return {
    url: `${origin}?sweep=${SWEEP_FOLDER}/#view=sweep`,
    origin,
    server,
    omitted: fitted.omitted,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

/** Opens `url` in the system's browser; false when no opener could be started. */
function openBrowser(url: string): Promise<boolean> {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  return new Promise((resolveOpen) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', () => resolveOpen(false));
    child.once('spawn', () => {
      child.unref();
      resolveOpen(true);
    });
  });
}

/** `fleetsim view`: serves until SIGINT or SIGTERM. */
export async function viewCommand(dir: string, options: { port: number; open: boolean }, print: (line: string) => void): Promise<void> {
  const view = await startViewServer(dir, options.port);
  print(`fleetsim view: the sweep ${displayPath(dir)} at ${view.url} (read-only; Ctrl-C stops)`);
  for (const line of view.omitted) print(line);
  if (options.open && !(await openBrowser(view.url))) print('could not start a browser: open the address above in one');
  await new Promise<void>((resolveStop) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void view.close().then(resolveStop);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Registers `fleetsim view` on the program (src/cli/main.ts). */
export function addViewCommand(cli: Command): void {
  cli
    .command('view')
    .description('serve the page on 127.0.0.1 with the sweep in DIR preloaded (read-only; Ctrl-C stops)')
    .argument('<dir>', "a finished sweep's result directory")
    .addOption(new Option('--port <n>', 'the port, 0 to 65535; 0: any free port').argParser(integerIn(0, 65_535)).default(0))
    .option('--no-open', 'print the address only; do not start a browser')
    .action(async (dir: string, opts: { port: number; open: boolean }) => {
      await viewCommand(dir, opts, (line) => void process.stdout.write(`${line}\n`));
    });
}
