"""PyTorch 1.13 configured at its best on this machine's CPU, shared by the
side-by-side scripts (tools/pytorch_mlp.py, tools/pytorch_transformer.py,
tools/pytorch_bench/run.py). Call configure() before torch is imported.

- Threads: OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS
  (OpenMP and OpenBLAS read them at load time); the caller then calls
  torch.set_num_threads. With more than one thread, OMP_WAIT_POLICY=PASSIVE
  (unless set): OpenMP's idle workers otherwise spin between parallel
  regions on the very cores OpenBLAS's own threads need (Debian's
  OpenBLAS is the pthreads build): the IMDb transformer's two-thread step
  took 496-564 ms spinning, 346-369 ms passive, on amd-oxide-f1a-m02.
- OpenBLAS's core: OPENBLAS_CORETYPE=SkylakeX on a CPU with AVX-512, as
  DESIGN.md says (Debian's OpenBLAS 0.3.21 otherwise runs its Haswell
  kernels on a Zen 4/5); one already in the environment is kept.
- ATen's own kernels are left at the capability PyTorch picks (AVX2 in
  Debian's build, even on an AVX-512 CPU). ATEN_CPU_CAPABILITY=avx512 was
  tried on amd-oxide-f1a-m02: both model steps the same within noise
  (transformer 311 and 318 ms against 309 and 395; MLP 3.57 and 3.65 ms
  against 3.83 and 3.61), the 50k-class cross-entropy faster (4.7-5.2
  against 5.6-8.7 ms), the small ones slower (128 x 10: 35-41 against
  19-23 us). Set it in the environment to compare with it.
- The allocator: glibc's malloc serves a block over its mmap threshold
  (128 KiB, raised up to 32 MiB as such blocks are freed) with a fresh
  mapping and unmaps it on free, and trims the heap's top above
  trim_threshold, so a tensor that size is page-faulted in afresh (the
  kernel zeroing every page) each time PyTorch allocates it. PyTorch's CPU
  allocator has no cache of its own. On amd-oxide-f1a-m02 this made the
  IMDb transformer's step 1270 ms instead of 343 ms and a 16M-parameter
  AdamW step 345 ms instead of 45 ms. Both thresholds are raised through
  GLIBC_TUNABLES, which glibc reads only at start-up: configure() runs
  the script again with it set (os.execve) when it is missing, unless
  default_malloc is asked for (to show the difference).
"""
import os
import sys

MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295"


def cpu_flags():
    """The flags line of /proc/cpuinfo (x86) or the Features line (arm)."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith(("flags", "Features")):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def configure(threads, default_malloc=False):
    """Sets the environment for `threads` threads; may re-run the script."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    if threads > 1:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if "avx512f" in cpu_flags():
        os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
    if default_malloc or "glibc.malloc.mmap_threshold" in os.environ.get("GLIBC_TUNABLES", ""):
        return
    old = os.environ.get("GLIBC_TUNABLES")
    os.environ["GLIBC_TUNABLES"] = f"{old}:{MALLOC_TUNABLES}" if old else MALLOC_TUNABLES
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, os.environ)


def add_arguments(ap, foreach=False):
    """The options of every script that runs PyTorch through configure():
    --default-malloc, and --foreach where it trains with AdamW."""
    if foreach:
        ap.add_argument("--foreach", action="store_true",
                        help="AdamW's multi-tensor (foreach) implementation")
    ap.add_argument("--default-malloc", action="store_true",
                    help="keep glibc's malloc thresholds (see tools/pytorch_env.py)")


def describe():
    """The settings configure() made, for a results file's context."""
    return {var: os.environ.get(var, "") for var in
            ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE",
             "GLIBC_TUNABLES")}
