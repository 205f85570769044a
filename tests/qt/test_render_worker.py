"""RenderWorker: newest request wins, stale waiting requests are dropped, failures become messages."""

import threading
import time

from ganstudio.qt.render_worker import RenderWorker


def test_newest_request_wins_and_waiting_ones_are_dropped(qtbot):
    worker = RenderWorker("test")
    gate, first_running = threading.Event(), threading.Event()
    ran = []

    def slow(i):
        first_running.set()
        gate.wait(5)
        ran.append(i)
        return i * 10

    results = []
    worker.rendered.connect(lambda rid, res, sec: results.append((rid, res)))
    worker.submit(slow, 1)  # starts running and blocks on the gate
    assert first_running.wait(5)
    worker.submit(slow, 2)  # waits...
    last = worker.submit(slow, 3)  # ...and replaces request 2, which never runs
    gate.set()
    qtbot.waitUntil(lambda: len(results) == 2, timeout=5000)
    assert ran == [1, 3]
    assert results[-1] == (last, 30) and worker.is_latest(last)
    assert worker.dropped == 1
    worker.close()


def test_a_failing_render_is_reported_and_the_worker_lives_on(qtbot):
    worker = RenderWorker("test")
    errors, results = [], []
    worker.failed.connect(lambda rid, err: errors.append(err))
    worker.rendered.connect(lambda rid, res, sec: results.append(res))

    def broken():
        raise ValueError("bad tensor")

    worker.submit(broken)
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=5000)
    assert "ValueError" in errors[0].message and not errors[0].user_error
    worker.submit(lambda: "ok")
    qtbot.waitUntil(lambda: results == ["ok"], timeout=5000)
    worker.close()


# --- ModelRenderer: the one render protocol of the Explore and Sketch areas -----------------------------------

def _renderer(qtbot, **kwargs):
    from ganstudio.qt.render_worker import ModelRenderer

    renderer = ModelRenderer("test-model", **kwargs)
    shown, failures, loads = [], [], []
    renderer.partsRendered.connect(lambda parts, ms, latency: shown.append(parts))
    renderer.renderFailed.connect(lambda err, parts: failures.append((err.message, parts)))
    renderer.loadFailed.connect(lambda err: loads.append(err.message))
    return renderer, shown, failures, loads


def test_model_renderer_draws_parts_in_one_job_and_the_pixels_are_the_generators(qtbot, digits_ckpt):
    import numpy as np

    from ganstudio.core.generators.handle import LatentRequest, open_generator
    from ganstudio.core.latent.space import sample_latents

    renderer, shown, failures, _ = _renderer(qtbot)
    try:
        with qtbot.waitSignal(renderer.loaded, timeout=30000) as loaded:
            renderer.load(str(digits_ckpt))
        assert loaded.args[0]["z_dim"] == 64 and loaded.args[0]["n_classes"] == 10
        grid, view = sample_latents(16, 64, seed=1), sample_latents(1, 64, seed=2)
        renderer.request("grid", LatentRequest(grid))
        renderer.request("view", LatentRequest(view, [3]))
        qtbot.waitUntil(renderer.is_idle, timeout=30000)
        drawn = {name: part for job in shown for name, part in job.items()}
        # both parts in one job, and (a plain model, no style edit) in one forward pass of 17 latents
        assert sorted(drawn) == ["grid", "view"] and renderer.forward_batches == [17]
        model = open_generator(digits_ckpt, device="cpu")
        assert np.array_equal(drawn["view"].pixels, model.render_latents(view, [3]))
        assert np.array_equal(drawn["grid"].pixels, model.render_latents(grid))
        assert np.array_equal(drawn["view"].request.z, view) and not failures
        # the same request again, with dedupe: nothing is computed
        version = renderer.requested_version("view")
        assert renderer.request("view", LatentRequest(view.copy(), [3]), dedupe=True) == version
        qtbot.waitUntil(renderer.is_idle, timeout=30000)
        assert len(renderer.forward_batches) == 1
    finally:
        renderer.shutdown()


def test_model_renderer_cancels_superseded_parts_and_keeps_the_old_model_when_a_load_fails(qtbot, digits_ckpt, tmp_path):
    from ganstudio.core.errors import ModelError
    from ganstudio.core.generators.handle import LatentRequest
    from ganstudio.core.latent.space import sample_latents

    def only_conditional(model):
        if not model.n_classes:
            raise ModelError(f"{model.path.name} has no classes.")

    renderer, shown, failures, loads = _renderer(qtbot, accept=only_conditional)
    with qtbot.waitSignal(renderer.loaded, timeout=30000):
        renderer.load(str(digits_ckpt))
    z = sample_latents(4, 64, seed=0)
    renderer.request("candidates", LatentRequest(z))
    renderer.request("main", LatentRequest(z[:1]), immediate=True, supersedes=("candidates",))
    qtbot.waitUntil(renderer.is_idle, timeout=30000)
    assert [sorted(job) for job in shown] == [["main"]] and renderer.forward_batches == [1]
    # a file that is not there: one sentence, and the model loaded before stays usable
    renderer.load(str(tmp_path / "missing.safetensors"))
    qtbot.waitUntil(lambda: bool(loads), timeout=30000)
    assert "does not exist" in loads[0]
    renderer.request("main", LatentRequest(z[1:2]))
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=30000)
    assert renderer.info["n_classes"] == 10 and not failures
    renderer.shutdown()


def test_deleting_the_owner_without_shutdown_joins_the_render_thread_first(qtbot):
    """A widget torn down without shutdown() (a test's teardown, a closed dialog) must not leave a thread that
    emits into a half-deleted object ("Signal source has been deleted")."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QWidget

    from ganstudio.qt.render_worker import ModelRenderer

    owner = QWidget()
    renderer = ModelRenderer("teardown", owner)
    thread = renderer.worker._thread
    started = threading.Event()
    renderer.worker.submit(lambda: started.set() or time.sleep(0.3) or 1)
    assert started.wait(5)
    owner.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert not thread.is_alive()  # joined inside the owner's destructor, after the render finished
