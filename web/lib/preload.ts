/**
 * A sweep handed to the page at start, so that its results show with no file picker: `fleetsim report`
 * embeds the sweep's files in the HTML (a `<script type="application/json" id="fleetsim-data">`
 * element, the Arrow files in base64), `fleetsim view` serves them beside the page and names the
 * folder in the URL (`?sweep=sweep/`: the listing `sweep/files.json`, then each file). Both give the
 * same listing (PreloadSchema); the files become File objects that the Sweep view opens the way it
 * opens picked files (web/views/sweep/open.ts), so every check of a picked file applies to them too.
 * No DOM here beyond `document`/`location` passed in: vitest runs the parsing in Node.
 *
 * @example
 *   const source = preloadSource(document, location); // null: an ordinary page
 *   if (source) { const { files } = await preloadFiles(source); … }
 */
import { z } from 'zod';
import { quote } from '../../src/text/quote.js';
import { internalError } from './problems.js';

export const PRELOAD_FORMAT = 'fleetsim-preload/1';
/** The id of the element `fleetsim report` fills (web/vite.report.config.ts leaves it empty). */
export const DATA_ID = 'fleetsim-data';
/** The query parameter of `fleetsim view`: the folder (relative to the page) that holds the listing. */
export const SWEEP_PARAM = 'sweep';
/** The listing's name in that folder. */
export const LISTING = 'files.json';

/** A file name of a sweep directory: a base name, or fleets/<base name>; never `..`, never absolute. */
const FILE_NAME = /^(fleets\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

const PreloadFile = z.strictObject({
  name: z.string().regex(FILE_NAME),
  size: z.int().nonnegative(),
  /** The content, when embedded: text as it is, or binary files in base64. */
  text: z.string().optional(),
  base64: z.string().optional(),
});

/** What `fleetsim report` embeds and `fleetsim view` serves as files.json (src/cli/report.ts writes it). */
export const PreloadSchema = z.strictObject({
  format: z.literal(PRELOAD_FORMAT),
  /** The sweep directory as the user named it (shown in the page). */
  sweep: z.string().max(4096),
  /** The fleetsim version that wrote it, and when (an ISO date). */
  fleetsim: z.string().max(100),
  createdAt: z.string().max(100),
  files: z.array(PreloadFile).max(100_000),
  /** What was left out, one sentence each (per-fleet rows over the size limit). */
  omitted: z.array(z.string().max(2000)).max(100),
});
export type PreloadData = z.infer<typeof PreloadSchema>;

/** A listing or an embedded sweep the page cannot use: said in words. */
export class PreloadProblem extends Error {
  override name = 'PreloadProblem';
}

export type PreloadSource = { kind: 'embedded'; data: PreloadData } | { kind: 'served'; folder: URL };

function parseListing(json: unknown, where: string): PreloadData {
  const parsed = PreloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PreloadProblem(
      `${where} is not a fleetsim sweep listing (${issue ? `${issue.path.join('.') || 'top level'}: ${issue.message}` : 'invalid'})`,
    );
  }
  return parsed.data;
}

/** The embedded sweep's text parsed and checked (exported for the tests). */
export function parseEmbedded(text: string): PreloadData {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PreloadProblem(
      `the sweep embedded in this page is not valid JSON (${quote(error instanceof Error ? error.message : String(error), 120)})`,
    );
  }
  return parseListing(json, 'the sweep embedded in this page');
}

/**
 * Where the page's sweep comes from: the embedded element (a report), the `sweep` query parameter (a
 * folder of the page's own origin, as `fleetsim view` serves it), or null. PreloadProblem for a
 * parameter that names another site or an element that does not parse.
 */
export function preloadSource(
  doc: Pick<Document, 'getElementById'>,
  loc: Pick<Location, 'href' | 'origin' | 'search'>,
): PreloadSource | null {
  const element = doc.getElementById(DATA_ID);
  const text = element?.textContent ?? '';
  if (text.trim() !== '') return { kind: 'embedded', data: parseEmbedded(text) };
  const param = new URLSearchParams(loc.search).get(SWEEP_PARAM);
  if (param === null) return null;
  let folder: URL;
  try {
    folder = new URL(param.endsWith('/') ? param : `${param}/`, loc.href);
  } catch {
    throw new PreloadProblem(`?${SWEEP_PARAM}=${quote(param)} is not a folder of this site`);
  }
  if (folder.origin !== loc.origin || !/^https?:$/.test(folder.protocol)) {
    throw new PreloadProblem(`?${SWEEP_PARAM}=${quote(param)} names another site; the page only reads a sweep served beside it`);
  }
  return { kind: 'served', folder };
}

/** Bytes from base64 (atob: no fetch, which a report's Content-Security-Policy refuses). */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const baseName = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

async function fetchOk(url: URL, name: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch (error) {
    throw new PreloadProblem(
      `${name}: could not be fetched (${quote(error instanceof Error ? error.message : String(error), 120)}); is fleetsim view still running?`,
    );
  }
  if (!response.ok) throw new PreloadProblem(`${name}: the server answered ${response.status} ${quote(response.statusText)}`);
  return response;
}

export interface Preloaded {
  data: PreloadData;
  files: File[];
  /** The line the page shows above the view (preloadNote). */
  note: string;
  /** The study of the sweep (from its manifest.json, as JSON text), for the view's editor; null when unreadable. */
  study: string | null;
}

/** The study in manifest.json, as the editor shows it; null when there is none (open.ts reports a bad manifest). */
async function studyOf(files: readonly File[]): Promise<string | null> {
  const manifest = files.find((f) => f.name === 'manifest.json');
  if (!manifest) return null;
  try {
    const study = (JSON.parse(await manifest.text()) as { study?: unknown }).study;
    return study !== null && typeof study === 'object' ? JSON.stringify(study, null, 2) : null;
  } catch {
    return null;
  }
}

/**
 * The sweep's files as File objects (named by their base name, as a file picker names them), with the
 * listing. An embedded file without content, or a served file that does not arrive, is a PreloadProblem.
 */
export async function preloadFiles(source: PreloadSource): Promise<Preloaded> {
  if (source.kind === 'embedded') {
    const files = source.data.files.map((f) => {
      if (f.text !== undefined) return new File([f.text], baseName(f.name));
      if (f.base64 !== undefined) return new File([fromBase64(f.base64) as Uint8Array<ArrayBuffer>], baseName(f.name));
      throw new PreloadProblem(`the sweep embedded in this page lists ${quote(f.name)} without its content`);
    });
    return { data: source.data, files, study: await studyOf(files), note: preloadNote(source, source.data) };
  }
  const listingUrl = new URL(LISTING, source.folder);
  const listing = await fetchOk(listingUrl, LISTING);
  let json: unknown;
  try {
    json = await listing.json();
  } catch {
    throw new PreloadProblem(`${LISTING}: not JSON`);
  }
  const data = parseListing(json, LISTING);
  const files = await Promise.all(
    data.files.map(async (f) => {
      const response = await fetchOk(new URL(f.name.split('/').map(encodeURIComponent).join('/'), source.folder), f.name);
      return new File([await response.arrayBuffer()], baseName(f.name));
    }),
  );
  return { data, files, study: await studyOf(files), note: preloadNote(source, data) };
}

/** The line the page shows above the view: where the sweep came from, and what was left out. */
export function preloadNote(source: PreloadSource, data: PreloadData): string {
  const from =
    source.kind === 'embedded'
      ? `Report of the sweep ${quote(data.sweep, 200)}, written by fleetsim ${data.fleetsim} on ${data.createdAt}: everything is in this file, nothing is fetched.`
      : `The sweep ${quote(data.sweep, 200)}, served read-only by fleetsim view ${data.fleetsim}.`;
  return [from, ...data.omitted].join(' ');
}

/**
 * The page's sweep, read: its files, the study and the note. Rejects with an Error whose message says
 * what went wrong in words (a PreloadProblem's, or an internal error's for a bug). Only called when the
 * page has a sweep (web/main.ts checks for the data element or the parameter).
 */
export async function loadPreload(
  doc: Pick<Document, 'getElementById'>,
  loc: Pick<Location, 'href' | 'origin' | 'search'>,
): Promise<Preloaded> {
  try {
    const source = preloadSource(doc, loc);
    if (source === null) throw new PreloadProblem('this page has no sweep to show');
    return await preloadFiles(source);
  } catch (error) {
    if (error instanceof PreloadProblem) throw error;
    throw new PreloadProblem(internalError(error, 'reading the sweep handed to the page'));
  }
}
