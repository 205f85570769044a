"""`ganstudio bench`: measured speed of what users feel, written as JSON (docs/BENCHMARKS.md holds a table).

Sections: training throughput against a plain PyTorch loop (ganstudio.bench.training, no Qt) and the
interactive ones that need the app (ganstudio.bench.gui: GUI overhead, event-loop lateness, pen and
slider latency, start-up, monitor redraw). Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

SECTIONS = ("training", "gui")


def machine() -> dict[str, Any]:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def run_bench(quick: bool = False, sections: tuple[str, ...] = SECTIONS, device: str = "auto",
              progress: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    report: dict[str, Any] = {"quick": quick, "machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    t0 = time.perf_counter()
    if "training" in sections:
        from ganstudio.bench import training

        report["training"] = training.run(quick=quick, device=device, progress=progress)
    if "gui" in sections:
        from ganstudio.bench import gui

        report["gui"] = gui.run(quick=quick, progress=progress)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report


def format_table(report: dict[str, Any]) -> str:
    """A plain-text summary of a bench report (the JSON has everything)."""
    lines = [f"machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
             f"GPU {report['machine']['gpu'] or 'none'}, torch {report['machine']['torch']}"]
    tr = report.get("training")
    if tr:
        lines.append(f"training throughput on {tr['device']} (matmul peak {tr['matmul_peak_flops_s'] / 1e9:.1f} GFLOP/s):")
        for c in tr["cases"]:
            lines.append(
                f"  {c['case']:<28} {c['variant']:<14} plain {c['plain_steps_s']:8.2f} it/s  trainer "
                f"{c['trainer_steps_s']:8.2f} it/s  ratio {c['ratio']:.2f}x  {c['images_s']:8.1f} img/s  "
                f"{100 * c['fraction_of_peak']:.1f}% of peak")
    gui = report.get("gui")
    if gui:
        for key, value in gui.items():
            lines.append(f"  {key}: {json.dumps(value) if not isinstance(value, str) else value}")
    lines.append(f"total {report['seconds']} s")
    return "\n".join(lines)


def write_report(report: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    return path


def main_progress(msg: str) -> None:
    print(f"ganstudio bench: {msg}", file=sys.stderr, flush=True)
