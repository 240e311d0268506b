# Wasm operators executed per callback of a proxy-wasm module (wasmtime fuel metering): deterministic, and per
# callback where callgrind sees V8's JIT code without names. A stand-in host answers the ABI calls the floor shapes
# make (plugin configuration, header maps, properties absent, metrics) and plays Envoy's callback order for the
# bench's 10-header POST (1,030 B body, 1,090 B response) N times; prints the mean of the second half, per callback
# ("alloc": the host's copies allocated in the VM, proxy_on_memory_allocate, taken out of the callback that asked).
# Usage: python3 -m venv /tmp/v && /tmp/v/bin/pip install wasmtime
#        /tmp/v/bin/python bench/envoy-instr/fuel.py target/wasm32-wasip1/release/piiguard.wasm '<policy JSON>' [N]
# REQN=<n> keeps only the first n request headers. Not part of any test (bench/envoy-instr/RESULTS.md, session 16).
import sys, struct, wasmtime as W
path, policy = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 20
cfg = W.Config(); cfg.consume_fuel = True
eng = W.Engine(cfg); store = W.Store(eng); store.set_fuel(10**12)
mod = W.Module.from_file(eng, path)
linker = W.Linker(eng)
inst_box = {}
def mem(): return inst_box['i'].exports(store)['memory']
ALLOC = [0]
def alloc(n):
    ex = inst_box['i'].exports(store)
    f = ex.get('malloc') or ex['proxy_on_memory_allocate']
    b = store.get_fuel(); r = f(store, n); ALLOC[0] += b - store.get_fuel(); return r
def write(ptr, data):
    m = mem(); m.write(store, bytes(data), ptr)
def put_u32(ptr, v): write(ptr, struct.pack('<I', v))
def give(data, pp, sp):
    p = alloc(max(len(data),1)); write(p, data) if data else None; put_u32(pp, p); put_u32(sp, len(data))
def pairs(h):
    out = struct.pack('<I', len(h))
    for k, v in h: out += struct.pack('<II', len(k), len(v))
    for k, v in h: out += k.encode() + b'\0' + v.encode() + b'\0'
    return out
REQ = [(":authority","bench"),(":path","/echo"),(":method","POST"),(":scheme","http"),("user-agent","bench/1.0"),("accept","*/*"),("x-forwarded-proto","http"),("x-request-id","5f0c7c6e-2d7b-4f7e-9d6a-0d2b8f0e9a11"),("content-type","application/json"),("content-length","1030")]
import os
if os.environ.get('REQN') is not None: REQ = REQ[:int(os.environ['REQN'])]
RESP = [(":status","200"),("server","envoy"),("content-type","application/json"),("content-length","1090")]
state = {'req': REQ, 'resp': RESP, 'hostcalls': {}}
def hc(name): state['hostcalls'][name] = state['hostcalls'].get(name, 0) + 1
def imp(name, ty):
    def f(*args):
        hc(name)
        if name == 'proxy_get_buffer_bytes':
            btype, start, mx, pp, sp = args
            if btype == 7: give(policy.encode(), pp, sp); return 0
            return 1
        if name == 'proxy_get_header_map_pairs':
            mt, pp, sp = args
            give(pairs(state['req'] if mt == 0 else state['resp']), pp, sp); return 0
        if name == 'proxy_get_header_map_size':
            return 0
        if name == 'proxy_get_property': return 1
        if name == 'proxy_define_metric':
            put_u32(args[3], 7); return 0
        if name == 'proxy_get_current_time_nanoseconds':
            write(args[0], struct.pack('<Q', 1_700_000_000_000_000_000)); return 0
        if name in ('environ_sizes_get', 'args_sizes_get'):
            put_u32(args[0], 0); put_u32(args[1], 0); return 0
        if name == 'fd_write':
            put_u32(args[3], 0); return 0
        if name == 'clock_time_get':
            write(args[2], struct.pack('<Q', 1)); return 0
        if name == 'random_get': return 0
        if name == 'proc_exit': raise Exception('exit')
        res = ty.results
        return 0 if res else None
    return f
for im in mod.imports:
    ty = im.type
    linker.define_func(im.module, im.name, ty, imp(im.name, ty))
inst = linker.instantiate(store, mod); inst_box['i'] = inst
ex = inst.exports(store)
def call(name, *a):
    f = ex.get(name)
    if f is None: return None, 0
    before = store.get_fuel(); r = f(store, *a); return r, before - store.get_fuel()
for s in ('_initialize', '_start'):
    if ex.get(s): call(s)
call('proxy_on_context_create', 1, 0)
call('proxy_on_vm_start', 1, 0)
call('proxy_on_configure', 1, len(policy))
seq = [('proxy_on_context_create', lambda c: (c, 1)),
       ('proxy_on_request_headers', lambda c: (c, len(REQ), 0)),
       ('proxy_on_request_body', lambda c: (c, 1030, 1)),
       ('proxy_on_response_headers', lambda c: (c, len(RESP), 0)),
       ('proxy_on_response_body', lambda c: (c, 1090, 1)),
       ('proxy_on_log', lambda c: (c,)),
       ('proxy_on_done', lambda c: (c,)),
       ('proxy_on_delete', lambda c: (c,))]
tot = {}
for i in range(N):
    c = 100 + i
    for name, args in seq:
        ALLOC[0] = 0
        r, fuel = call(name, *args(c))
        if i >= N // 2:
            tot[name] = tot.get(name, 0) + fuel - ALLOC[0]
            tot['alloc'] = tot.get('alloc', 0) + ALLOC[0]
k = N - N // 2
print(" ".join(f"{n.replace('proxy_on_','')}={v//k}" for n, v in tot.items()), "total=%d" % (sum(tot.values())//k))
