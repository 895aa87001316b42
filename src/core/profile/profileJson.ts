/**
 * Reading profile files: bytes → text → JSON, with one-line errors that name the file and say what
 * is wrong. Gzipped files (`.cpuprofile.gz`, `trace.json.gz`) are accepted as they are.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UserFacingError } from '../log';
import { parseCpuProfileBytes } from './fastCpuProfileJson';

/** The short name used in messages: the file name without its folder. */
export function displayName(pathOrName: string): string {
  return basename(pathOrName) || pathOrName;
}

function readFailure(path: string, err: unknown): UserFacingError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code ?? String(err)})`;
  return new UserFacingError(`${displayName(path)}: ${why}`, path);
}

function gunzip(path: string, bytes: Buffer): Buffer {
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new UserFacingError(`${displayName(path)}: broken gzip data (${(err as Error).message})`, path);
  }
}

/**
 * The file's text. Read synchronously on purpose: Node's `readFileSync(path, 'utf8')` decodes in
 * native code and is the fastest way in (the JSON.parse that follows blocks far longer anyway).
 */
export async function readProfileText(path: string): Promise<string> {
  await Promise.resolve();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw readFailure(path, err);
  }
  // gzip magic 1f 8b: the 8b byte decodes to U+FFFD.
  if (text.charCodeAt(0) === 0x1f && text.charCodeAt(1) === 0xfffd) return gunzip(path, readFileSync(path)).toString('utf8');
  return text;
}

/**
 * A CPU profile file as JSON. Large V8 profiles take the fast path of fastCpuProfileJson.ts (their
 * `samples`/`timeDeltas` become typed arrays); anything else, including every broken file, goes
 * through `parseProfileJson` and its messages.
 */
export async function readCpuProfileJson(path: string): Promise<unknown> {
  await Promise.resolve();
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw readFailure(path, err);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzip(path, bytes);
  const fast = parseCpuProfileBytes(bytes);
  return fast !== undefined ? fast : parseProfileJson(bytes.toString('utf8'), path);
}

/**
 * JSON.parse with a readable error. `file` is the path (or a name) used in the message.
 * The position is given in bytes of UTF-8, which is what an editor or `head -c` shows.
 */
export function parseProfileJson(text: string, file: string): unknown {
  const name = displayName(file);
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new UserFacingError(`${name}: empty file`, file);
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new UserFacingError(`${name}: not valid JSON (${describeJsonError(body, (err as Error).message)})`, file);
  }
}

function byteOffset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), 'utf8');
}

function describeJsonError(text: string, message: string): string {
  const first = text.search(/\S/);
  const c = text[first];
  if (c !== '{' && c !== '[') return `starts with ${JSON.stringify(text.slice(first, first + 12))}, expected "{" or "["`;
  if (/unexpected end/i.test(message)) return `unexpected end at byte ${byteOffset(text, text.length)}`;
  const at = /at position (\d+)/.exec(message);
  if (at) {
    const pos = Number(at[1]);
    if (text.slice(pos).trim() === '') return `unexpected end at byte ${byteOffset(text, text.length)}`;
    // V8's reason without the position and without any echo of the file's contents.
    const reason = message.replace(/\s*in JSON at position.*$/s, '').replace(/^./, (s) => s.toLowerCase());
    return `${reason} at byte ${byteOffset(text, pos)}`;
  }
  const token = /^Unexpected token '(.)'/.exec(message);
  return token ? `unexpected ${JSON.stringify(token[1])}` : message.split('\n')[0]!.slice(0, 120);
}
