"""Step timing shared by bench_keras.py and bench_torch.py, so both anchors measure alike: warm-up
steps first, then the median wall-clock and process CPU time per training step (the median, as
bench.ts reports, so bursts of other processes do not skew it), then inference throughput.

The scripts import it by name: Python puts a script's own folder first on sys.path, so this works
from any working directory and under any interpreter (.venv or Debian's /usr/bin/python3).
"""
import time


def median(values):
    """The middle value (the upper one of an even count), as bench.ts takes it."""
    return sorted(values)[len(values) // 2]


def time_steps(step, steps, warmup):
    """Calls `step` `warmup` times untimed, then `steps` times; returns the median wall and CPU
    seconds per call. `step` must finish its work before it returns (read the loss back)."""
    for _ in range(warmup):
        step()
    times, cpu_times = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    return median(times), median(cpu_times)


def time_calls(call, n):
    """Calls `call` once to warm up, then `n` times; returns the seconds the `n` calls took."""
    call()
    t0 = time.perf_counter()
    for _ in range(n):
        call()
    return time.perf_counter() - t0


def result(family, threads, batch, steps, train_s, cpu_s, eval_steps, eval_s, **extra):
    """One result row as bench-anchors.ts reads it; `cpuMsPerStep` is the CPU time of the process
    (all threads) per step, as bench.ts records it."""
    return {
        'family': family, 'threads': threads, 'batch': batch, 'steps': steps,
        'msPerStep': 1000 * train_s,
        'cpuMsPerStep': 1000 * cpu_s,
        'imagesPerSec': batch / train_s,
        'evalImagesPerSec': batch * eval_steps / eval_s,
        **extra,
    }
