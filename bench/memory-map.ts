/**
 * Where a process's resident memory is, from /proc/PID/smaps: each mapping's resident size,
 * grouped so a benchmark can say what the RSS is made of (Linux only; zeros elsewhere).
 *
 * - `wasmMemory`: the anonymous read-write mapping as large as the embedded store's WebAssembly
 *   memory (`wasmBytes`, from `/metrics`), when one matches (V8 maps a wasm memory on its own, in
 *   a reservation with guard pages);
 * - `file`: mapped files (the node binary, shared libraries), shared with other processes;
 * - `brk`: glibc's main heap (`[heap]`), where the main thread's malloc goes;
 * - `bigAnon`: other anonymous mappings of 32 MB and more: glibc's per-thread malloc arenas
 *   (64 MB reservations), V8's heap reservations, PGlite's file system buffers;
 * - `anon`: the rest (V8 heap pages, code, thread stacks, small allocations).
 */

export interface MemoryMap {
  rssMB: number;
  wasmMemoryMB: number | null;
  fileMB: number;
  brkMB: number;
  bigAnonMB: number;
  anonMB: number;
  /** The largest anonymous mappings: resident MB of virtual MB, and permissions. */
  largest: string[];
}

interface Mapping {
  sizeKB: number;
  perms: string;
  path: string;
  rssKB: number;
}

function mappings(text: string): Mapping[] {
  const out: Mapping[] = [];
  let cur: Mapping | null = null;
  for (const line of text.split("\n")) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (h) {
      cur = {
        sizeKB: (parseInt(h[2]!, 16) - parseInt(h[1]!, 16)) / 1024,
        perms: h[3]!,
        path: h[4]!,
        rssKB: 0,
      };
      out.push(cur);
      continue;
    }
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r && cur) cur.rssKB = Number(r[1]);
  }
  return out;
}

const mb = (kb: number): number => Math.round(kb / 1024);

/** The map of `smapsText` (a /proc/PID/smaps); `wasmBytes` is the wasm memory's size when known. */
export function memoryMap(smapsText: string, wasmBytes: number | null): MemoryMap {
  const maps = mappings(smapsText);
  const wasmKB = wasmBytes ? wasmBytes / 1024 : null;
  let wasm: Mapping | null = null;
  if (wasmKB) {
    // The wasm memory: an anonymous rw mapping of exactly its size (the largest resident one if several).
    for (const m of maps) {
      if (m.path === "" && m.perms.startsWith("rw") && m.sizeKB === wasmKB && (!wasm || m.rssKB > wasm.rssKB))
        wasm = m;
    }
  }
  const out: MemoryMap = {
    rssMB: 0,
    wasmMemoryMB: wasmKB ? (wasm ? mb(wasm.rssKB) : 0) : null,
    fileMB: 0,
    brkMB: 0,
    bigAnonMB: 0,
    anonMB: 0,
    largest: [],
  };
  let file = 0;
  let brk = 0;
  let big = 0;
  let anon = 0;
  let total = 0;
  for (const m of maps) {
    total += m.rssKB;
    if (m === wasm) continue;
    if (m.path.startsWith("/")) file += m.rssKB;
    else if (m.path === "[heap]") brk += m.rssKB;
    else if (m.sizeKB >= 32 * 1024) big += m.rssKB;
    else anon += m.rssKB;
  }
  out.rssMB = mb(total);
  out.fileMB = mb(file);
  out.brkMB = mb(brk);
  out.bigAnonMB = mb(big);
  out.anonMB = mb(anon);
  out.largest = maps
    .filter((m) => !m.path.startsWith("/") && m.rssKB >= 4 * 1024)
    .sort((a, b) => b.rssKB - a.rssKB)
    .slice(0, 8)
    .map(
      (m) => `${mb(m.rssKB)}/${mb(m.sizeKB)} ${m.perms}${m === wasm ? " wasm" : m.path ? ` ${m.path}` : ""}`,
    );
  return out;
}
