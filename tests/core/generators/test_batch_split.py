"""A batch of latents rendered in parts on parallel CPU threads: how many parts, the same bits as one forward
pass (bookmarks reproduce exactly), the parts really on their own threads, errors reaching the caller."""

import threading

import numpy as np
import pytest
import torch
from nvlabs_reference import Cfg, reference_generator, write_snapshot

from ganstudio.core.generators import batch_split
from ganstudio.core.generators.batch_split import forward_in_parts, parts_for
from ganstudio.core.generators.handle import open_generator
from ganstudio.core.models.dcgan import DCGANGenerator


@pytest.fixture
def one_torch_thread_of(monkeypatch):
    """parts_for with torch on one thread and `cpus` CPUs available."""
    def set_(cpus: int):
        monkeypatch.setattr(batch_split, "available_cpus", lambda: cpus)
        monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    return set_


def test_parts_use_the_cpus_torch_leaves_idle(one_torch_thread_of, monkeypatch):
    one_torch_thread_of(2)
    assert parts_for(16, torch.device("cpu")) == 2
    assert parts_for(7, torch.device("cpu")) == 1  # fewer than two parts of MIN_PART latents
    assert parts_for(1, torch.device("cpu")) == 1
    assert parts_for(64, torch.device("cuda")) == 1  # a GPU runs the batch at once
    one_torch_thread_of(8)
    assert parts_for(16, torch.device("cpu")) == 4
    assert parts_for(64, torch.device("cpu")) == 8
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    assert parts_for(64, torch.device("cpu")) == 4  # 8 CPUs, 2 torch threads per part
    one_torch_thread_of(1)
    assert parts_for(64, torch.device("cpu")) == 1


@pytest.mark.parametrize("parts", [2, 3, 5])
def test_parts_give_the_bits_of_one_forward_pass(parts):
    torch.manual_seed(0)
    G = DCGANGenerator(z_dim=20, ngf=16, image_size=32, nc=3).eval()
    z = torch.randn(16, 20)
    with torch.inference_mode():
        whole = G(z)
        split = forward_in_parts(G, z, None, parts)
    assert torch.equal(split, whole)


def test_labels_are_split_with_their_latents():
    torch.manual_seed(0)
    G = DCGANGenerator(z_dim=10, ngf=8, image_size=32, nc=1, n_classes=4).eval()
    z, y = torch.randn(12, 10), torch.tensor([0, 1, 2, 3] * 3)
    with torch.inference_mode():
        assert torch.equal(forward_in_parts(G, z, y, 3), G(z, y))


def test_each_part_runs_on_its_own_thread_and_errors_reach_the_caller():
    seen = []

    def forward(z):
        seen.append((threading.current_thread().name, z.shape[0], torch.is_inference_mode_enabled()))
        return z * 2

    z = torch.arange(8.0)[:, None]
    assert torch.equal(forward_in_parts(forward, z, None, 2), z * 2)
    assert sorted(seen) == [("MainThread", 4, True), ("ganstudio-render-part", 4, True)]

    def broken(z):
        if threading.current_thread().name == "ganstudio-render-part":
            raise RuntimeError("part failed")
        return z

    with pytest.raises(RuntimeError, match="part failed"):
        forward_in_parts(broken, z, None, 2)
    assert not [t for t in threading.enumerate() if t.name == "ganstudio-render-part"]


@pytest.fixture(scope="module")
def stylegan_file(tmp_path_factory):
    G = reference_generator(Cfg(z=12, c=0, w=10, res=32, base=256, cmax=8), seed=3)
    return write_snapshot(tmp_path_factory.mktemp("sg") / "network-snapshot-000100.pkl", G)


def _render_threads(g, z, monkeypatch, parts, **extra):
    threads = []
    monkeypatch.setattr("ganstudio.core.generators.handle.parts_for", lambda n, device: parts)
    hook = g.module.register_forward_pre_hook(lambda m, args: threads.append(threading.current_thread().name))
    try:
        return g.generate(z, **extra), sorted(threads)
    finally:
        hook.remove()


@pytest.mark.parametrize("model", ["landscapes-dcgan", "digits-conditional"])
def test_the_handle_renders_in_parts_with_the_same_pixels(model, monkeypatch):
    from ganstudio.core.generators.catalogue import bundled_folder

    g = open_generator(bundled_folder() / f"{model}.safetensors", device="cpu")
    z = np.random.default_rng(1).standard_normal((16, g.z_dim)).astype(np.float32)
    whole, one = _render_threads(g, z, monkeypatch, 1)
    split, two = _render_threads(g, z, monkeypatch, 2)
    assert torch.equal(split, whole)
    assert one == ["MainThread"] and two == ["MainThread", "ganstudio-render-part"]


def test_a_stylegan_batch_is_never_split(stylegan_file, monkeypatch):
    """Its modulated convolutions are grouped per sample and oneDNN picks their kernels by batch size, so
    parts would differ from one pass in the last bits: it renders in one pass whatever the CPUs."""
    g = open_generator(stylegan_file, device="cpu")
    z = np.random.default_rng(1).standard_normal((16, g.z_dim)).astype(np.float32)
    out, threads = _render_threads(g, z, monkeypatch, 2, truncation_psi=0.7)
    assert threads == ["MainThread"] and out.shape[0] == 16


def _openmp():
    """torch's OpenMP runtime (ctypes), to read a thread's own thread count; None where it is not found."""
    import ctypes

    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "libgomp" in line or "libiomp" in line})
    except OSError:
        return None
    return ctypes.CDLL(libs[0]) if libs else None


def test_every_rendering_thread_runs_openmp_on_torchs_thread_count(monkeypatch):
    """OpenMP keeps a thread count per thread, and a fresh thread whose first op is a convolution used every
    core whatever torch.set_num_threads said: the parts and a render thread take torch's count."""
    omp = _openmp()
    if omp is None:
        pytest.skip("no OpenMP runtime of torch's found in this process")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        seen = {}

        def forward(z):
            seen[threading.current_thread().name] = omp.omp_get_max_threads()
            return z

        def in_fresh_thread(fn):
            t = threading.Thread(target=fn, name="fresh")
            t.start()
            t.join()

        in_fresh_thread(lambda: forward_in_parts(forward, torch.zeros(8, 2), None, 2))
        assert seen == {"fresh": 1, "ganstudio-render-part": 1}
        g = open_generator(__import__("ganstudio.core.generators.catalogue", fromlist=["x"]).bundled_folder()
                           / "landscapes-dcgan.safetensors", device="cpu")
        monkeypatch.setattr("ganstudio.core.generators.handle.parts_for", lambda n, device: 1)
        counts = []
        hook = g.module.register_forward_pre_hook(lambda m, args: counts.append(omp.omp_get_max_threads()))
        in_fresh_thread(lambda: g.generate(np.zeros((1, g.z_dim), np.float32)))
        hook.remove()
        assert counts == [1]
    finally:
        torch.set_num_threads(threads)


def test_render_all_makes_latent_parts_in_one_pass_with_each_parts_own_pixels_and_labels():
    from ganstudio.core.generators.catalogue import bundled_folder
    from ganstudio.core.generators.handle import LatentRequest

    g = open_generator(bundled_folder() / "digits-conditional.safetensors", device="cpu")
    rng = np.random.default_rng(4)
    grid = LatentRequest(rng.standard_normal((16, g.z_dim)).astype(np.float32))  # default labels: i % 10
    view = LatentRequest(grid.z[5:6], labels=[5])
    strip = LatentRequest(rng.standard_normal((3, g.z_dim)).astype(np.float32), labels=[7, 7, 7])
    passes = []
    together = g.render_all([grid, view, strip], passes=passes)
    assert passes == [20]  # one forward pass for all three parts
    for req, result in zip([grid, view, strip], together):
        alone = g.render(req)
        assert result.error is None and np.array_equal(result.pixels, alone.pixels)
    assert np.array_equal(together[1].pixels[0], together[0].pixels[5])  # the view is the grid's cell 5


def test_render_all_gives_each_bad_part_its_own_error_and_keeps_stylegan_parts_apart(stylegan_file):
    from ganstudio.core.generators.catalogue import bundled_folder
    from ganstudio.core.generators.handle import LatentRequest

    g = open_generator(bundled_folder() / "digits-conditional.safetensors", device="cpu")
    good = LatentRequest(np.zeros((2, g.z_dim), np.float32))
    bad = LatentRequest(np.zeros((1, g.z_dim), np.float32), labels=[12])
    passes = []
    ok, wrong = g.render_all([good, bad], passes=passes)
    assert ok.error is None and np.array_equal(ok.pixels, g.render(good).pixels)
    assert wrong.pixels is None and wrong.error == g.render(bad).error and "not 12" in wrong.error
    assert passes == [2]  # the joint pass failed; the good part alone, the bad one made no pictures
    sg = open_generator(stylegan_file, device="cpu")
    parts = [LatentRequest(np.zeros((2, sg.z_dim), np.float32), truncation_psi=0.7),
             LatentRequest(np.ones((1, sg.z_dim), np.float32), truncation_psi=0.7)]
    passes = []
    results = sg.render_all(parts, passes=passes)
    assert passes == [2, 1] and all(np.array_equal(r.pixels, sg.render(p).pixels) for r, p in zip(results, parts))
