"""train.precision = "bf16" on the CPU: autocast in the D and G updates, conv nets in channels_last,
fp32 master weights, exact fp32 previews, and a warning on CPUs that only emulate bf16."""

import pytest
import torch

from ganstudio.core import device as device_mod
from ganstudio.core.config import preset
from ganstudio.core.train.trainer import Trainer


def _small(precision: str):
    return preset("digits-dcgan").with_overrides([
        "train.device=cpu", f"train.precision={precision}", "model.g_width=8", "model.d_width=8",
        "optim.batch_size=8", "train.n_preview=4", "tricks.ema=0", "train.log_every=2"])


def test_bf16_autocasts_the_updates_in_channels_last_with_fp32_weights():
    trainer = Trainer(_small("bf16"))
    assert trainer.channels_last
    conv = trainer.D.main[0]
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    seen = []
    conv.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    for _ in range(2):
        trainer.step()
    assert seen and set(seen) == {torch.bfloat16}
    assert all(p.dtype == torch.float32 for p in [*trainer.G.parameters(), *trainer.D.parameters()])
    assert {"d_loss", "g_loss"} <= set(trainer.last_scalars)
    assert all(torch.isfinite(torch.tensor(v)) for v in trainer.last_scalars.values() if isinstance(v, float)
               and v == v)
    seen.clear()
    out = trainer.generate()  # previews and exports: plain fp32, outside autocast
    assert out.dtype.name == "float32"
    trainer.G.eval()
    with torch.no_grad():
        exact = trainer.G(trainer.fixed_z).numpy()
    assert (out == exact).all()


def test_fp32_stays_fp32_and_contiguous():
    trainer = Trainer(_small("fp32"))
    assert not trainer.channels_last and trainer.autocast_dtype is None
    seen = []
    trainer.D.main[0].register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    trainer.step()
    assert set(seen) == {torch.float32}


@pytest.mark.parametrize("native, warned", [(False, True), (True, False), (None, False)])
def test_bf16_on_a_cpu_without_native_bf16_warns(monkeypatch, native, warned):
    monkeypatch.setattr(device_mod, "cpu_has_native_bf16", lambda: native)
    events = []
    Trainer(_small("bf16"), report=events.append)
    messages = [e.data["message"] for e in events if e.kind == "warning"]
    assert any("emulated and slower than fp32" in m for m in messages) == warned


def test_cpu_flags_decide_native_bf16(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n")
    assert device_mod.cpu_has_native_bf16(str(info)) is True
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f\n")
    assert device_mod.cpu_has_native_bf16(str(info)) is False
    assert device_mod.cpu_has_native_bf16(str(tmp_path / "missing")) is None
