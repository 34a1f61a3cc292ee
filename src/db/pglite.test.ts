import { describe, expect, it } from "vitest";
import { wasmTieringFor } from "./pglite.js";

describe("the embedded store's WebAssembly tiering", () => {
  it("stays on the baseline compiler unless FEDIMON_WASM_OPTIMIZE=1", () => {
    expect(wasmTieringFor({})).toBe("baseline");
    expect(wasmTieringFor({ FEDIMON_WASM_OPTIMIZE: "0" })).toBe("baseline");
    expect(wasmTieringFor({ FEDIMON_WASM_OPTIMIZE: "yes" })).toBe("baseline");
    expect(wasmTieringFor({ FEDIMON_WASM_OPTIMIZE: "1" })).toBe("optimise");
    expect(wasmTieringFor({ FEDIMON_WASM_OPTIMIZE: " 1\n" })).toBe("optimise");
  });
});
