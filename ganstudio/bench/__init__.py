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


def _met(flag: Any) -> str:
    return "" if flag is None else ("  [target met]" if flag else "  [target MISSED]")


def _p(stats: dict[str, Any], *keys: str) -> str:
    """'p50 12.3 / p95 20.1 ms' from a stats dict (gui.stats_ms)."""
    names = {"p50_ms": "p50", "p95_ms": "p95", "p99_ms": "p99", "max_ms": "max"}
    return " / ".join(f"{names[k]} {stats[k]:.1f}" for k in keys if stats.get(k) is not None) + " ms"


def _gui_lines(gui: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    env = gui.get("environment", {})
    lines.append(f"GUI ({env.get('qt_platform', '?')} Qt, {env.get('torch_threads', '?')} torch thread(s), "
                 f"load {env.get('load_before')} -> {env.get('load_after')}):")

    def section(name: str, key: str, fmt) -> None:
        value = gui.get(key)
        if value is None:
            return
        if "error" in value:
            lines.append(f"  {name:<20} error: {value['error']}")
            return
        try:
            for i, text in enumerate(fmt(value)):
                lines.append(f"  {name if i == 0 else '':<20} {text}")
        except (AttributeError, KeyError, TypeError, ValueError):
            lines.append(f"  {name:<20} {json.dumps(value)[:300]}")

    def overhead(v):
        yield (f"{v['preset']} {v['steps']} steps x{v['repeats']}: headless {v['headless_median']:.1f} it/s, "
               f"GUI + monitor {v['gui_median']:.1f} it/s, ratio {v['ratio']:.3f}{_met(v['met'])}")
        if v.get("gui_thread_cpu_percent"):
            yield f"GUI thread busy {', '.join(f'{c:.1f}%' for c in v['gui_thread_cpu_percent'])} of each GUI run"

    def event_loop(v):
        yield (f"{v['interval_ms']} ms timer late while training: {_p(v['while_training'], 'p50_ms', 'p99_ms', 'max_ms')}"
               f"{_met(v['met'])}")
        yield f"idle window: {_p(v['idle'], 'p50_ms', 'p99_ms', 'max_ms')}"

    def sketch(v):
        yield f"pen lifted -> picture, {v['model']}:"
        for key, r in v.items():
            if isinstance(r, dict) and ("p50_ms" in r or "error" in r):
                yield (f"  {key}: error: {r['error']}" if "error" in r else
                       f"  {key}: {_p(r, 'p50_ms', 'p95_ms', 'max_ms')} (render p50 {r['render_p50_ms']} ms, n {r['n']})")
        yield f"  {_met(v['met']).strip()}"

    def explorer(v):
        for key, r in v.items():
            if not key.startswith("ngf"):
                continue
            if "error" in r:
                yield f"{key}: error: {r['error']}"
                continue
            yield (f"{key}: slider -> view {_p(r['slider_to_view'], 'p50_ms', 'p95_ms')}, "
                   f"Reseed -> 16-grid {_p(r['grid16'], 'p50_ms', 'p95_ms')}")
            yield (f"        forward+uint8 b1 p50 {r['forward_b1']['p50_ms']:.1f} ms, b16 p50 "
                   f"{r['forward_b16']['p50_ms']:.1f} ms; 60 Hz drag {_p(r['drag_60hz'], 'p50_ms', 'p95_ms')}")
        yield f"slider{_met(v['met_slider'])}, grid{_met(v['met_grid'])}"

    def startup(v):
        yield (f"opening on Sketch: window shown {v['window_shown_s']:.2f} s (process age "
               f"{v['window_shown_process_age_s']}), engine ready {v['engine_ready_s']:.2f} s, median of {v['runs']}")
        t = v.get("opening_on_train")
        if t:
            yield (f"opening on Train: window shown {t['window_shown_s']:.2f} s (process age "
                   f"{t['window_shown_process_age_s']}), engine ready {t['engine_ready_s']:.2f} s")
        f = v.get("first_sketch_picture")
        if f:
            yield (f"first Sketch picture: error: {f['error']}" if "error" in f else
                   f"first launch -> first Sketch picture {f['first_image_s']:.2f} s ({f['model']}; "
                   f"{f.get('shown_in') or 'main window'})")
        failed = (v.get("failed_launches") or []) + ((f or {}).get("failed_launches") or [])
        if failed:
            yield f"{len(failed)} launch(es) failed: {failed[0]}"

    def monitor(v):
        for key, r in v.items():
            if key.isdigit():
                yield (f"{int(key):>9,} points: error: {r['error']}" if "error" in r else
                       f"{int(key):>9,} points: first draw {r['first_draw_ms']:.0f} ms, refresh tick "
                       f"{_p(r['tick'], 'p50_ms', 'max_ms')}, all plots {r['all_plots_ms']:.0f} ms")
        yield _met(v.get("met")).strip()

    def lab(v):
        yield f"first open {v['first_open_ms']:.0f} ms; control -> redrawn (painted):"
        for key, r in v.items():
            if isinstance(r, dict) and ("redraw" in r or "error" in r):
                yield (f"  {key}: error: {r['error']}" if "error" in r else
                       f"  {key}: {_p(r['redraw'], 'p50_ms', 'max_ms')} ({_p(r['painted'], 'p50_ms', 'max_ms')})")
        yield _met(v.get("met")).strip()

    section("GUI overhead", "gui_overhead", overhead)
    section("event loop", "event_loop", event_loop)
    section("Sketch", "sketch", sketch)
    section("Explore", "explorer", explorer)
    section("start-up", "startup", startup)
    section("monitor redraw", "monitor", monitor)
    section("Lab", "lab", lab)
    if "error" in gui:
        lines.append(f"  error: {gui['error']}")
    return [line.rstrip() for line in lines if line.strip()]


def format_table(report: dict[str, Any]) -> str:
    """A plain-text summary of a bench report (the JSON has everything)."""
    lines = [f"machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
             f"GPU {report['machine']['gpu'] or 'none'}, torch {report['machine']['torch']}"]
    tr = report.get("training")
    if tr:
        if "error" in tr:
            lines.append(f"training throughput: error: {tr['error']}")
        else:
            lines.append(f"training throughput on {tr['device']} (matmul peak {tr['matmul_peak_flops_s'] / 1e9:.1f} "
                         f"GFLOP/s; target {tr.get('target', '?')}):")
            lines.append(f"  {'case':<28} {'variant':<14} {'plain it/s':>10} {'trainer it/s':>12} {'ratio':>6} "
                         f"{'img/s':>8} {'of peak':>7}")
            for c in tr["cases"]:
                if "error" in c:
                    lines.append(f"  {c.get('case', '?'):<28} error: {c['error']}")
                    continue
                lines.append(
                    f"  {c['case']:<28} {c['variant']:<14} {c['plain_steps_s']:10.2f} {c['trainer_steps_s']:12.2f} "
                    f"{c['ratio']:5.2f}x {c['images_s']:8.1f} {100 * c['fraction_of_peak']:6.1f}%")
            if tr.get("bf16_note"):
                lines.append(f"  {tr['bf16_note']}")
            ex = tr.get("examples_dcgan")
            if ex and "error" in ex:
                lines.append(f"  pytorch/examples dcgan: error: {ex['error']}")
            elif ex:
                lines.append(f"  {ex['case']}: {ex['examples_steps_s']:.2f} it/s vs ganstudio train "
                             f"{ex['trainer_steps_s']:.2f} it/s, ratio {ex['ratio']:.2f}x (pairs "
                             f"{', '.join(f'{x:.2f}' for x in ex['ratios'])}; target {ex['target']})")
    gui = report.get("gui")
    if gui:
        lines.extend(_gui_lines(gui))
    lines.append(f"total {report['seconds']} s")
    return "\n".join(lines)


def write_report(report: dict[str, Any], path: str | Path) -> Path:
    from ganstudio.core.destinations import writing

    path = Path(path)
    with writing(path):  # a disk that filled up during the run: one sentence, and the table is already printed
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2))
    return path


def main_progress(msg: str) -> None:
    print(f"ganstudio bench: {msg}", file=sys.stderr, flush=True)
