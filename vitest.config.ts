import { defineConfig } from "vitest/config";
import { envTrustingTestCa } from "./sim/tls/trust.js";

// Trust the simulation's throwaway CA in every test process, on top of any extra CAs the machine
// already names. Node reads NODE_EXTRA_CA_CERTS only at process start, so it is set here, before
// the forked workers start (hence pool "forks").
process.env.NODE_EXTRA_CA_CERTS = envTrustingTestCa(process.env).NODE_EXTRA_CA_CERTS;

// Two projects: fast unit tests beside the code, and integration tests in test/ that run real
// sockets against the simulated fediverse (run them through scripts/loopback-only.sh).
export default defineConfig({
  test: {
    pool: "forks",
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "sim/**/*.test.ts", "deploy/**/*.test.ts"],
          pool: "forks",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          pool: "forks",
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
