"""The CUDA paths (bf16 autocast + channels_last training, pinned streamed batches, fast Sketch previews)
run when a CUDA device is present; skipped, saying so, when it is not."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.core.config import preset
from ganstudio.core.data import images as image_data
from ganstudio.core.train.trainer import Trainer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine: the CUDA "
                                                                       "paths are only checked where one is present")


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_dcgan_trains_on_cuda_from_a_streamed_folder(tmp_path, monkeypatch, precision):
    rng = np.random.default_rng(0)
    for i in range(16):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / f"{i}.png")
    # A cache limit of 0 bytes: the folder streams through the DataLoader (pinned, non-blocking copies).
    monkeypatch.setattr(image_data, "DEFAULT_CACHE_LIMIT_BYTES", 0)
    monkeypatch.setattr(image_data.ImageFolder.__init__, "__defaults__",
                        tuple(0 if d == 512 * 1024**2 else d for d in image_data.ImageFolder.__init__.__defaults__))
    cfg = preset("digits-dcgan").with_overrides([
        "train.device=cuda", f"train.precision={precision}", "data.kind=folder", f"data.path={tmp_path}",
        "data.channels=3", "model.g_width=8", "model.d_width=8", "optim.batch_size=4", "train.n_preview=4",
        "train.log_every=2", "data.workers=1"])
    trainer = Trainer(cfg)
    assert trainer.data.loader is not None and trainer.data.loader.pin_memory
    assert trainer.channels_last == (precision == "bf16")
    for _ in range(4):
        trainer.step()
    assert np.isfinite(trainer.last_scalars["d_loss"]) and np.isfinite(trainer.last_scalars["g_loss"])
    assert trainer.generate(4).dtype == np.float32
