// Times bench_run of a bench-wasm-engine module in node's V8 (the engine
// Envoy's envoy.wasm.runtime.v8 embeds), the same way src/main.rs does natively.
// node --no-liftoff bench/wasm-engine/run.mjs <module.wasm> [size] [rounds] [min_ms] [case|all]
// (--no-liftoff: proxy-wasm-cpp-host, Envoy's V8 embedding, turns Liftoff off and compiles with TurboFan only.)
// Prints one line per case: `name bytes MB/s findings`.
import { readFileSync } from "node:fs";

// CPU time of the process (ns; user + system, as main.rs reads it natively),
// so that time the shared machine gives other processes is not counted.
const cpuNs = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1e3; };

const [file, sizeArg, roundsArg, minArg, only = "all"] = process.argv.slice(2);
const size = Number(sizeArg ?? 262144), rounds = Number(roundsArg ?? 7), minMs = Number(minArg ?? 150);
const CASES = ["json_clean", "json_catalog", "json_dense", "text_clean", "text_dense", "form_dense"];

const module = new WebAssembly.Module(readFileSync(file));
let memory;
// Every import answers 0 (success) except what the engine may really need:
// fd_write (a panic message) and random_get / clock_time_get (std's hash seeds, time).
const imports = {};
for (const imp of WebAssembly.Module.imports(module)) {
  imports[imp.module] ??= {};
  if (imp.kind !== "function") throw new Error(`unexpected import ${imp.module}.${imp.name}`);
  let f = () => 0;
  if (imp.name === "fd_write") {
    f = (fd, iovs, n, out) => {
      const v = new DataView(memory.buffer);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const p = v.getUint32(iovs + 8 * i, true), l = v.getUint32(iovs + 8 * i + 4, true);
        process.stderr.write(Buffer.from(memory.buffer, p, l));
        total += l;
      }
      v.setUint32(out, total, true);
      return 0;
    };
  } else if (imp.name === "random_get") {
    f = (p, l) => { new Uint8Array(memory.buffer, p, l).fill(7); return 0; };
  } else if (imp.name === "clock_time_get") {
    f = (id, prec, out) => { new DataView(memory.buffer).setBigUint64(out, process.hrtime.bigint(), true); return 0; };
  } else if (imp.name === "proc_exit") {
    f = (code) => { throw new Error(`proc_exit(${code})`); };
  }
  imports[imp.module][imp.name] = f;
}
const instance = new WebAssembly.Instance(module, imports);
memory = instance.exports.memory;
const { bench_setup, bench_run } = instance.exports;
if (instance.exports._initialize) instance.exports._initialize();

for (const [i, name] of CASES.entries()) {
  if (only !== "all" && only !== name) continue;
  const len = bench_setup(i, size);
  if (len === 0) throw new Error(`${name}: setup failed`);
  const ms = (f) => { const t = cpuNs(); f(); return (cpuNs() - t) / 1e6; };
  let found = 0;
  const once = ms(() => { found = bench_run(1); });
  const iters = Math.max(1, Math.ceil(minMs / Math.max(once, 1e-3)));
  // warm-up: V8 compiles with Liftoff first and tiers hot functions up to TurboFan
  for (let w = 0; w < 3; w++) bench_run(iters);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) best = Math.min(best, ms(() => bench_run(iters)) / iters);
  console.log(`${name} ${len} ${(len / best / 1e3).toFixed(2)} ${found}`);
}
