"""Where models run: one device policy for training, Explore, Sketch and the CLI (CUDA when present)."""

from __future__ import annotations

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
    return f"CPU ({torch.get_num_threads()} threads)"
