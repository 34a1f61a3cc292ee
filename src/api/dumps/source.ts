import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Fetcher } from "../../net/types.js";
import { LatestPointer, Manifest } from "./manifest.js";

/**
 * Where an import reads a dump set from: a local folder, or another fedimon's `/dumps/` over
 * HTTP(S) through the network layer (address guard, size caps, robots.txt, User-Agent).
 */
export interface DumpSource {
  /** The set's location, for logs and results. */
  readonly location: string;
  /** A file of the set, by its name in the manifest. */
  read(name: string): Promise<Buffer>;
}

/** What resolving a location found: the set and its checked manifest. */
export interface ResolvedSet {
  source: DumpSource;
  manifest: Manifest;
}

/** Largest file an import reads over HTTP by default (one dataset's JSON Lines). */
export const DEFAULT_MAX_DUMP_FILE_BYTES = 1024 * 1024 * 1024;

const SAFE_NAME = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
const SAFE_SET = /^[0-9]{8}T[0-9]{6}Z$/;

function checkName(name: string): void {
  if (!SAFE_NAME.test(name) || name.includes(".."))
    throw new Error(`refusing file name ${JSON.stringify(name)}`);
}

class DirSource implements DumpSource {
  constructor(readonly location: string) {}
  async read(name: string): Promise<Buffer> {
    checkName(name);
    return readFile(join(this.location, name));
  }
}

class UrlSource implements DumpSource {
  constructor(
    readonly location: string,
    private readonly fetcher: Fetcher,
    private readonly maxBytes: number,
  ) {}
  async read(name: string): Promise<Buffer> {
    checkName(name);
    const url = new URL(name, this.location).toString();
    const res = await this.fetcher.request({ url, headers: { accept: "*/*" }, maxBodyBytes: this.maxBytes });
    if (!res.ok) throw new Error(`${url}: ${res.outcome}: ${res.detail}`);
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
    return res.body;
  }
}

function parseJson(buf: Buffer, what: string): unknown {
  try {
    return JSON.parse(buf.toString("utf8")) as unknown;
  } catch {
    throw new Error(`${what} is not JSON`);
  }
}

function checkedManifest(buf: Buffer, where: string): Manifest {
  const r = Manifest.safeParse(parseJson(buf, `${where} manifest.json`));
  if (!r.success) {
    const first = r.error.issues[0];
    throw new Error(`${where}: not a fedimon dump manifest (${first?.path.join(".")}: ${first?.message})`);
  }
  return r.data;
}

/**
 * Opens a dump location: a set (holding `manifest.json`) or a dumps root (holding `latest.json`,
 * which names the newest set). URLs go through `fetcher`; folders are read directly.
 */
export async function openDumpLocation(
  location: string,
  opts: { fetcher?: Fetcher; maxFileBytes?: number },
): Promise<ResolvedSet> {
  const isUrl = /^https?:\/\//i.test(location);
  if (isUrl && !opts.fetcher) throw new Error("importing from a URL needs the network layer's fetcher");
  const make = (loc: string): DumpSource =>
    isUrl
      ? new UrlSource(
          loc.endsWith("/") ? loc : `${loc}/`,
          opts.fetcher!,
          opts.maxFileBytes ?? DEFAULT_MAX_DUMP_FILE_BYTES,
        )
      : new DirSource(loc);
  const root = make(location);
  let manifestBuf: Buffer | null = null;
  try {
    manifestBuf = await root.read("manifest.json");
  } catch {
    manifestBuf = null;
  }
  if (manifestBuf) return { source: root, manifest: checkedManifest(manifestBuf, location) };
  let pointerBuf: Buffer;
  try {
    pointerBuf = await root.read("latest.json");
  } catch (err) {
    throw new Error(
      `${location}: neither manifest.json nor latest.json could be read (${(err as Error).message})`,
    );
  }
  const pointer = LatestPointer.safeParse(parseJson(pointerBuf, `${location} latest.json`));
  if (!pointer.success || !SAFE_SET.test(pointer.data.set))
    throw new Error(`${location}: latest.json is malformed`);
  const setLocation = isUrl
    ? new URL(`${pointer.data.set}/`, root.location).toString()
    : join(location, pointer.data.set);
  const set = make(setLocation);
  return { source: set, manifest: checkedManifest(await set.read("manifest.json"), setLocation) };
}
