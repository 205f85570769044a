"""Shared test set-up: headless Qt, few CPU threads, no user settings touched."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

# Tests are many small models: two threads avoid oversubscribing a 2-core CI machine.
torch.set_num_threads(2)

from threadcheck import THREAD_GRACE_S, threads_left_running  # noqa: E402


def _python_threads() -> set[threading.Thread]:
    # _DummyThread entries stand for threads Python did not start (QThreads, torch's pools): they never
    # report that they ended; tests/qt/conftest.py checks the QThreads.
    return {t for t in threading.enumerate() if not isinstance(t, threading._DummyThread)}


@pytest.fixture(autouse=True)
def no_thread_left_running():
    """Fails any test that leaves a Python thread (a RenderWorker's, a trainer's, a data loader's) running:
    every thread a test starts must be stopped and joined by the code under test before the test ends."""
    before = _python_threads()
    yield
    left = threads_left_running(before, list(_python_threads()))
    assert not left, f"threads still running {THREAD_GRACE_S:.0f} s after the test: {left}"


# --- models and pictures several test folders use ------------------------------------------------------------

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402


def _digits_checkpoint(base: Path) -> Path:
    """A class-conditional digits DCGAN (32 px, z 64, 10 classes) trained for two steps."""
    ckpt = base / "explorer-digits" / "checkpoints" / "latest.safetensors"
    if not ckpt.is_file():
        from ganstudio.core.config import preset
        from ganstudio.core.train.trainer import Trainer

        cfg = preset("digits-cdcgan").with_overrides([
            "model.g_width=8", "model.d_width=8", "optim.batch_size=8", "train.steps=2", "train.log_every=1",
            "train.eval_every=0", "train.sample_every=0", "train.checkpoint_every=0", "tricks.ema=0",
        ])
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny models: one thread is faster on a busy 2-core machine
        try:
            trainer = Trainer(cfg, run_dir=base / "explorer-digits")
            trainer.run()
            trainer.save_checkpoint()
        finally:
            torch.set_num_threads(threads)
    return ckpt


@pytest.fixture
def one_torch_thread():
    """One torch thread for the test (small networks: two threads on a busy 2-core machine are many times
    slower than one); the count before is restored. Use with pytestmark = pytest.mark.usefixtures(...)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def digits_ckpt(tmp_path_factory) -> Path:
    """The explorer tests' generator, built once per session (core latent tests and the Explore area)."""
    return _digits_checkpoint(tmp_path_factory.getbasetemp())


def _make_pictures(folder: Path, n: int = 4, size: int = 64) -> Path:
    """A few pictures with coloured squares on light paper: enough for a training step."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        a = np.full((size, size, 3), 235, np.uint8)
        y, x = rng.integers(4, size - 24, 2)
        a[y:y + 20, x:x + 20] = rng.integers(0, 255, 3)
        Image.fromarray(a).save(folder / f"{i}.png")
    return folder


@pytest.fixture(scope="session")
def digit_judge():
    """(classifier, accuracy on held-out real digits): the bundled digits' judge, a small CNN trained for 250
    steps on the real digits, once per session (the CLI and the bundled-model tests both read with it)."""
    from ganstudio.core.bundled.quality import train_digit_classifier

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # several times faster than two threads on a busy 2-core machine
    try:
        return train_digit_classifier(steps=250, seed=0)
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def make_pictures():
    """make_pictures(folder, n=4, size=64) -> folder of n PNG pictures."""
    return _make_pictures


# --- a dummy objective and a dummy metric, registered in one place each -------------------------------------

import collections  # noqa: E402
import types  # noqa: E402
from dataclasses import dataclass  # noqa: E402

DUMMY_TOOLTIP = "A test objective registered by tests/conftest.py: softplus losses that count their calls."


@pytest.fixture
def dummy_objective():
    """An objective called "dummy" (alias "dummy-loss") in the objective registry for one test.

    Its d_loss and g_loss count their calls in `.calls`; it has no real label (label_smoothing=False)."""
    import torch.nn.functional as F

    from ganstudio.core.objective_registry import ObjectiveSpec, register_objective, unregister_objective
    from ganstudio.core.train.objectives import Objective

    calls: collections.Counter = collections.Counter()

    @dataclass(frozen=True, kw_only=True)
    class DummyObjective(Objective):
        def d_loss(self, real_scores, fake_scores, real_target=1.0):
            calls["d_loss"] += 1
            return F.softplus(-real_scores.float()).mean() + F.softplus(fake_scores.float()).mean()

        def g_loss(self, fake_scores, real_scores=None):
            calls["g_loss"] += 1
            return F.softplus(-fake_scores.float()).mean()

    spec = register_objective(ObjectiveSpec(name="dummy", tooltip=DUMMY_TOOLTIP, build=DummyObjective,
                                            aliases=("dummy-loss",), label_smoothing=False))
    yield types.SimpleNamespace(spec=spec, calls=calls, cls=DummyObjective)
    unregister_objective("dummy")


@pytest.fixture
def dummy_metric():
    """A metric "dummy_metric" in the metric registry for one test: drawn in the loss plot, lower is better,
    may pick the best checkpoint, shown in the evaluation line. Trainer.evaluate calls its compute, which
    returns `.values` one by one (0.0 when they run out) and records the shapes it was given in `.seen`."""
    from ganstudio.core.metric_registry import MetricSpec, register_metric, unregister_metric

    state = types.SimpleNamespace(values=[], seen=[])

    def compute(real, fake):
        state.seen.append((tuple(real.shape), tuple(fake.shape)))
        return state.values.pop(0) if state.values else 0.0

    state.spec = register_metric(MetricSpec("dummy_metric", "dummy metric", group="loss", color="penalty",
                                            higher_is_better=False, best=True, summary=True, compute=compute))
    yield state
    unregister_metric("dummy_metric")
