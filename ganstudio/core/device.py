"""Where models run: one device policy for training, Explore, Sketch and the CLI (CUDA when present)."""

from __future__ import annotations

import os

import torch

from ganstudio.core.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """"auto" is CUDA when PyTorch sees a GPU, else the CPU; asking for "cuda" without one is a user error."""
    if isinstance(name, torch.device):
        return name
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("the device is 'cuda' but PyTorch sees no CUDA GPU on this machine; use cpu or auto.")
    if name not in DEVICES and not str(name).startswith("cuda:"):
        raise ConfigError(f"the device must be one of {', '.join(DEVICES)}, not {name!r}.")
    return torch.device(name)


def device_description(device: torch.device) -> str:
    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'s' if n != 1 else ''})"


# --- CPU threads: one policy for the CLI and the app ---------------------------------------------------
# Measured on a 2-core machine under load 4-6 (docs/BENCHMARKS.md "CPU threads"): one torch thread trained
# toy-ring 3.4x and digits-dcgan 1.7-4.8x faster than two. Small models gain nothing from threads and the
# window (or the OS) needs a core; larger machines get all their cores but one for image models.
THREADS_ENV = "GANSTUDIO_TORCH_THREADS"


def available_cpus() -> int:
    """CPUs this process may run on (a container's or taskset's limit, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def choose_threads(workload: str = "image", requested: int | None = None) -> int:
    """Torch CPU threads for `workload`: "toy" (2-D MLPs) or "image" (convolutional models, rendering).

    `requested` (a --threads flag, train.threads, the app's setting) wins when it is > 0, then the
    GANSTUDIO_TORCH_THREADS environment variable, each at most the CPUs available; 0 or None means choose.
    """
    # More threads than the CPUs this process may use only fight over them; torch's count is process-wide,
    # so 1024 asked for one run also slowed the app's rendering and the Lab's jobs to a crawl.
    if requested:
        return max(1, min(int(requested), available_cpus()))
    env = os.environ.get(THREADS_ENV, "").strip()
    if env:
        try:
            if int(env) > 0:
                return min(int(env), available_cpus())
        except ValueError:
            raise ConfigError(f"{THREADS_ENV} must be a whole number of threads, not {env!r}.") from None
    if workload == "toy":
        return 1
    return max(1, available_cpus() - 1)


def adopt_torch_threads() -> int:
    """Give the calling thread torch's thread count, and return it. OpenMP keeps its thread count per
    thread: a new thread whose first op is a oneDNN convolution runs it on OpenMP's default, every core,
    whatever torch.set_num_threads said in the main thread (measured here: a 16-image DCGAN forward in a
    fresh thread took 2 threads). torch sets a thread's count the first time it asks for it."""
    return torch.get_num_threads()


def apply_threads(workload: str = "image", requested: int | None = None) -> int:
    threads = choose_threads(workload, requested)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def free_memory_bytes(device: torch.device) -> int | None:
    """Memory a run may still take on `device`: CUDA's free memory, or the system's MemAvailable (Linux);
    None where it cannot be known (then nothing is refused for want of memory)."""
    try:
        if device.type == "cuda":
            free, _total = torch.cuda.mem_get_info(device)
            return int(free)
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, RuntimeError, ValueError):
        return None
    return None


def cpu_has_native_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool | None:
    """True when this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX-BF16, which oneDNN uses for
    bf16 convolutions and matmuls); False when it does not (bf16 is then emulated and slower than fp32);
    None where the CPU flags cannot be read (not Linux)."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        return None
    return None
