/** Reading files the user opens (picker or drag-and-drop), with a size limit checked before reading. */
import { displayPath } from '../../src/text/quote.js';

export class FileProblem extends Error {
  override name = 'FileProblem';
}

const MiB = 2 ** 20;

/** The file's text, or a FileProblem naming the file and why (too large, not text). */
export async function readTextFile(file: File, maxBytes: number): Promise<string> {
  if (file.size > maxBytes) {
    throw new FileProblem(
      `${displayPath(file.name)}: ${(file.size / MiB).toFixed(1)} MiB is larger than the ${(maxBytes / MiB).toFixed(0)} MiB this view reads`,
    );
  }
  const text = await file.text();
  if (text.includes('\u0000')) throw new FileProblem(`${displayPath(file.name)}: a binary file, not text`);
  return text;
}

/**
 * A drop zone with a file picker inside: `onFiles` gets the files dropped on it or picked. The label
 * is a <label> for the input, so the picker is reachable by keyboard.
 */
export function fileDrop(label: string, accept: string, onFiles: (files: File[]) => void, multiple = false): HTMLElement {
  const zone = document.createElement('div');
  zone.className = 'drop';
  const input = document.createElement('input');
  input.type = 'file';
  input.accept = accept;
  input.multiple = multiple;
  const text = document.createElement('label');
  text.append(document.createTextNode(`${label} `), input);
  zone.append(text);
  input.addEventListener('change', () => {
    if (input.files?.length) onFiles([...input.files]);
    input.value = '';
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.dataset.over = 'true';
  });
  zone.addEventListener('dragleave', () => delete zone.dataset.over);
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    delete zone.dataset.over;
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length) onFiles(files);
  });
  return zone;
}
