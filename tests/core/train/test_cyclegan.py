"""CycleGAN: the losses against hand-computed values, the image pool, a short training, checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from ganstudio.core import config as C
from ganstudio.core.errors import ModelError
from ganstudio.core.models.cyclegan import CycleDiscriminators, CycleGenerators
from ganstudio.core.train.cyclegan import (
    CycleGANTrainer,
    ImagePool,
    colour_gap,
    edge_agreement,
    generator_losses,
    train_step,
)
from ganstudio.core.train.objectives import get_objective

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Shift(nn.Module):
    def __init__(self, by: float) -> None:
        super().__init__()
        self.by = nn.Parameter(torch.tensor(float(by)))

    def forward(self, x):
        return x + self.by


class Constant(nn.Module):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = nn.Parameter(torch.tensor(float(value)))

    def forward(self, x):
        return self.value.expand(x.shape[0], 1, 2, 2)


def tiny_config(steps: int = 40, **train) -> C.RunConfig:
    return C.RunConfig(
        name="cg-test",
        data=C.DataConfig(kind="scenes-daynight", image_size=32, scene_count=12),
        model=C.ModelConfig(generator="resnet", discriminator="patchgan", g_width=8, d_width=8, g_depth=1, d_depth=2,
                            g_norm="instance", d_norm="instance", dropout=False),
        objective=C.ObjectiveConfig(loss="cyclegan"),
        optim=C.OptimConfig(batch_size=2, lr_g=1e-3, lr_d=2e-4, lr_decay="linear"),
        train=C.TrainConfig(**{"steps": steps, "log_every": 5, "sample_every": 0, "eval_every": 0, "checkpoint_every": 0,
                               "n_preview": 2, "threads": 1, **train}),
    )


# --- losses ----------------------------------------------------------------------------------------------

def test_defaults_are_the_papers():
    obj = get_objective("cyclegan")
    assert (obj.cycle_weight, obj.identity_weight, obj.pool_size) == (10.0, 0.5, 50)
    cfg = C.preset("cyclegan-scenes")
    assert (cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.beta1, cfg.optim.lr_decay) == (2e-4, 2e-4, 0.5, "linear")


def test_lsgan_losses_by_hand():
    obj = get_objective("cyclegan")
    real, fake = torch.tensor([0.5, 1.5]), torch.tensor([0.2, -0.4])
    # 0.5 * (mean((0.5-1)^2, (1.5-1)^2) + mean(0.2^2, 0.4^2)) = 0.5 * (0.25 + 0.1) = 0.175
    assert obj.d_loss(real, fake).item() == pytest.approx(0.175)
    # mean((0.2-1)^2, (-0.4-1)^2) = (0.64 + 1.96) / 2 = 1.3, no factor 1/2 (the reference's MSELoss)
    assert obj.g_loss(fake).item() == pytest.approx(1.3)


def test_cycle_and_identity_losses_by_hand():
    obj = get_objective("cyclegan")
    G = CycleGenerators(Shift(0.1), Shift(-0.3))  # G_A adds 0.1, G_B takes 0.3 away
    D = CycleDiscriminators(Constant(0.25), Constant(-0.5))
    A, B = torch.zeros(2, 3, 2, 2), torch.full((2, 3, 2, 2), 0.4)
    losses, fake_A, fake_B = generator_losses(G, D, obj, A, B)
    assert torch.allclose(fake_B, A + 0.1) and torch.allclose(fake_A, B - 0.3)
    # rec_A = A + 0.1 - 0.3: |rec_A - A| = 0.2 everywhere, times lambda_A 10
    assert losses["cycle_A"].item() == pytest.approx(2.0)
    assert losses["cycle_B"].item() == pytest.approx(2.0)
    # identity: |G_A(B) - B| = 0.1 and |G_B(A) - A| = 0.3, times lambda 10 * 0.5
    assert losses["idt_A"].item() == pytest.approx(0.5)
    assert losses["idt_B"].item() == pytest.approx(1.5)
    # G_A is judged by D_A (constant 0.25): (0.25 - 1)^2; G_B by D_B (-0.5): 1.5^2
    assert losses["G_A"].item() == pytest.approx(0.5625)
    assert losses["G_B"].item() == pytest.approx(2.25)


def test_identity_off_leaves_it_out():
    obj = get_objective("cyclegan", identity_weight=0.0)
    G = CycleGenerators(Shift(0.1), Shift(-0.3))
    D = CycleDiscriminators(Constant(0.0), Constant(0.0))
    losses, _, _ = generator_losses(G, D, obj, torch.zeros(1, 3, 2, 2), torch.zeros(1, 3, 2, 2))
    assert "idt_A" not in losses and "idt_B" not in losses


def test_step_updates_generators_from_g_losses_and_critics_from_d_losses():
    obj = get_objective("cyclegan", pool_size=0)
    G = CycleGenerators(Shift(0.1), Shift(-0.3))
    D = CycleDiscriminators(Constant(0.25), Constant(-0.5))
    opt_G = torch.optim.SGD(G.parameters(), lr=0.1)
    opt_D = torch.optim.SGD(D.parameters(), lr=0.1)
    A, B = torch.zeros(2, 3, 2, 2), torch.full((2, 3, 2, 2), 0.4)
    losses, _ = train_step(G, D, obj, opt_G, opt_D, A, B, ImagePool(0), ImagePool(0))
    # D_A on real B (0.25) and fake B (0.25): 0.5 * ((0.25-1)^2 + 0.25^2) = 0.3125; gradient d/dc = (c-1) + c = -0.5
    assert losses["D_A"].item() == pytest.approx(0.3125)
    assert D.D_A.value.item() == pytest.approx(0.25 + 0.1 * 0.5)
    # The G step saw the critics as constants: their value moved by the D step only.
    assert D.D_B.value.item() == pytest.approx(-0.5 - 0.1 * (0.5 * 2 * (-1.5) + 0.5 * 2 * (-0.5)))
    assert G.G_A.by.item() != pytest.approx(0.1)


# --- the image pool -----------------------------------------------------------------------------------------

def test_pool_returns_its_input_until_full():
    pool = ImagePool(4, torch.Generator().manual_seed(0))
    x = torch.arange(3.0).reshape(3, 1, 1, 1)
    assert torch.equal(pool.query(x), x)
    assert len(pool.images) == 3
    y = torch.tensor([10.0, 11.0]).reshape(2, 1, 1, 1)
    out = pool.query(y)  # the first fills the pool (returned as is); the second may be swapped
    assert out[0].item() == 10.0 and len(pool.images) == 4


def test_full_pool_returns_stored_fakes_half_the_time():
    pool = ImagePool(50, torch.Generator().manual_seed(1))
    pool.query(-torch.arange(1.0, 51.0).reshape(50, 1, 1, 1))  # stored fakes are negative
    seen = set(float(v) for v in torch.cat(pool.images).flatten())
    stored = 0
    for i in range(40):
        new = torch.arange(100.0 * i, 100.0 * i + 25).reshape(25, 1, 1, 1)
        out = pool.query(new)
        for fresh, got in zip(new.flatten().tolist(), out.flatten().tolist()):
            if got != fresh:
                assert got in seen  # a fake stored earlier (maybe earlier in this batch), never something else
                stored += 1
            seen.add(fresh)
        assert len(pool.images) == 50
    assert 0.45 < stored / 1000 < 0.55


def test_pool_of_zero_passes_through():
    x = torch.randn(3, 3, 4, 4)
    assert ImagePool(0).query(x) is x


# --- training ------------------------------------------------------------------------------------------------

def _scalars(run_dir: Path) -> list[dict]:
    return [r for r in map(json.loads, (run_dir / "metrics.jsonl").read_text().splitlines()) if r.get("kind") != "eval"]


def test_short_cpu_training_lowers_the_cycle_loss(tmp_path):
    from ganstudio.core.train.trainer import Trainer

    cfg = tiny_config(steps=24, log_every=3)
    cfg = cfg.with_overrides(["model.g_width=4", "model.d_width=4", "optim.batch_size=1", "optim.lr_g=2e-3"])
    trainer = Trainer(cfg, run_dir=tmp_path / "run")
    assert isinstance(trainer, CycleGANTrainer)
    trainer.run()
    records = _scalars(tmp_path / "run")
    for name in ("D_A", "D_B", "G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "sliced_w", "lr_g"):
        assert all(name in r and np.isfinite(r[name]) for r in records), name
    first = np.mean([r["cycle_A"] + r["cycle_B"] for r in records[:2]])
    last = np.mean([r["cycle_A"] + r["cycle_B"] for r in records[-2:]])
    assert last < 0.7 * first
    assert records[-1]["lr_g"] < records[0]["lr_g"]  # the linear decay of the second half


def test_preview_grid_rows_and_checkpoint_hold_both_directions(tmp_path):
    from ganstudio.core.checkpoint import load_checkpoint

    trainer = CycleGANTrainer(tiny_config(steps=3), run_dir=tmp_path / "run")
    trainer.run()
    grid = trainer.preview()["grid"]
    # 2 preview pictures per side, 3 columns (real | translated | back), 32 px cells with 2 px padding
    assert grid.shape[0] > 4 * 32 and grid.shape[1] > 3 * 32 and grid.shape[1] < 4 * 32
    path = trainer.save_checkpoint()
    states = load_checkpoint(path).states
    assert {"G_A.model.1.weight", "G_B.model.1.weight"} <= set(states["G"])
    assert {"D_A.model.0.weight", "D_B.model.0.weight"} <= set(states["D"])
    assert states["pool_fake_A"]["images"].shape == (6, 3, 32, 32)  # 3 steps of batch 2
    result = trainer.evaluate()
    for key in ("sliced_w", "colour_gap", "edge_agreement", "cycle_l1"):
        assert np.isfinite(result[key])


def test_resume_goes_on_where_the_run_stopped(tmp_path):
    run = tmp_path / "run"
    a = CycleGANTrainer(tiny_config(steps=4), run_dir=run)
    a.run(save_at_end="always")
    b = CycleGANTrainer(tiny_config(steps=6), run_dir=run, resume=run / "checkpoints" / "latest.safetensors")
    assert b.step_count == 4
    for (k, va), vb in zip(a.G.state_dict().items(), b.G.state_dict().values()):
        assert torch.equal(va, vb), k
    assert len(b.pool_fake_B.images) == 8
    assert b.opt_G.state_dict()["state"]  # Adam's moments came back
    b.run()
    assert b.step_count == 6


def test_opened_checkpoint_translates_both_ways(tmp_path):
    from ganstudio.core.generators.handle import open_generator

    trainer = CycleGANTrainer(tiny_config(steps=2), run_dir=tmp_path / "run")
    trainer.run(save_at_end="always")
    model = open_generator(tmp_path / "run", device="cpu")
    assert model.directions == ("AtoB", "BtoA") and model.direction == "AtoB" and model.is_translation
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    ab = model.translate(x, mode="eval")
    model.set_direction("BtoA")
    ba = model.translate(x, mode="eval")
    assert ab.shape == ba.shape == (1, 3, 32, 32)
    assert not torch.allclose(ab, ba)
    assert torch.allclose(ba, trainer.G.G_B.eval()(x), atol=1e-5)
    with pytest.raises(ModelError, match="not one of AtoB, BtoA"):
        model.set_direction("sideways")
    from ganstudio.core.open_target import model_area

    assert model_area(tmp_path / "run" / "checkpoints" / "latest.safetensors") == "Translate"  # `ganstudio FILE`


# --- measures -------------------------------------------------------------------------------------------------

def test_colour_gap_and_edge_agreement():
    torch.manual_seed(0)
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    assert colour_gap(x, x) == pytest.approx(0.0, abs=1e-6)
    # Shifting every value by 0.2 in [-1, 1] units is 0.2 * 127.5 = 25.5 in 0..255 units.
    assert colour_gap((x * 0.5) + 0.2, x * 0.5) == pytest.approx(25.5, abs=1e-3)
    assert edge_agreement(x, x) == pytest.approx(1.0)
    assert edge_agreement(x, 0.5 * x - 0.3) == pytest.approx(1.0, abs=1e-5)  # darker, same edges
    assert abs(edge_agreement(x, torch.rand(4, 3, 16, 16) * 2 - 1)) < 0.3


def test_tricks_the_step_does_not_use_are_named():
    events = []
    cfg = tiny_config(steps=1).with_overrides(["tricks.ema=0.999", "optim.n_critic=3"])
    trainer = CycleGANTrainer(cfg, report=events.append)
    warnings = [e.data["message"] for e in events if e.kind == "warning"]
    assert any("tricks.ema" in w and "optim.n_critic" in w for w in warnings)
    trainer.set_n_critic(2)  # a live change from the app: said, not taken
    assert trainer.n_critic == 1 and "n_critic 2 is not taken" in events[-1].data["message"]
