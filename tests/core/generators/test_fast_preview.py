"""Live Sketch previews in bf16 / channels_last where that pays, exact fp32 everywhere else: the fast
path is within bf16 rounding of the exact picture, and only requests marked fast, on a device where it
pays, take it."""

import numpy as np
import pytest
import torch

from ganstudio.core import device as device_mod
from ganstudio.core.generators.handle import SketchRequest, open_generator
from ganstudio.core.models.unet import unet_128


@pytest.fixture(scope="module")
def pix2pix(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("fast") / "latest_net_G.pth"
    torch.save(unet_128(3, 3, ngf=4, norm="batch", use_dropout=True).state_dict(), path)
    return open_generator(path, device="cpu")


def _request(fast):
    rng = np.random.default_rng(0)
    lines = (rng.random((128, 128)) < 0.05).astype(np.uint8) * 255
    return SketchRequest(lines, np.zeros((128, 128, 3), np.uint8), np.zeros((128, 128), np.uint8), fast=fast)


def test_fast_translate_is_within_bf16_rounding_of_exact(pix2pix):
    x = torch.rand(1, 3, 128, 128) * 2 - 1
    exact = pix2pix.translate(x)
    fast = pix2pix.translate(x, fast=True)
    assert fast.dtype == torch.float32 and fast.shape == exact.shape
    diff = (fast - exact).abs()
    assert 0 < float(diff.max()) < 0.1  # bf16 keeps 8 significant bits: close, and not the same computation
    assert torch.equal(pix2pix.translate(x), exact)  # the exact path stays exact


@pytest.mark.parametrize("native", [True, False])
def test_only_fast_requests_where_it_pays_take_the_fast_path(pix2pix, monkeypatch, native):
    monkeypatch.setattr(device_mod, "cpu_has_native_bf16", lambda: native)
    assert pix2pix.fast_previews is native and pix2pix.describe()["fast_previews"] is native
    calls = []
    real = pix2pix.translate
    monkeypatch.setattr(pix2pix, "translate", lambda *a, **k: calls.append(k["fast"]) or real(*a, **k))
    assert pix2pix.render(_request(fast=True)).error is None
    assert pix2pix.render(_request(fast=False)).error is None
    assert calls == [native, False]
