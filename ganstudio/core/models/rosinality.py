"""rosinality/stylegan2-pytorch checkpoints (`NNNNNN.pt` from its train.py, `stylegan2-ffhq-config-f.pt` from its
convert_weight.py) rebuilt as GAN Studio's StyleGAN2 generator (`stylegan2.StyleGAN2Generator`, NVlabs' names).

What the files hold: train.py saves `torch.save({"g", "d", "g_ema", "g_optim", "d_optim", "args", "ada_aug_p"})`
with `args` an argparse.Namespace (read as a plain dict by `checkpoint.NamespaceRecord`, never as the class);
convert_weight.py saves `{"g_ema", "latent_avg"}` (and "g", "d" on request). The generator is g_ema (else g).

Its module tree and how each part maps onto NVlabs' layout (both give the same pixels for the same inputs):

    style.{i}.{weight,bias}, i = 1..n_mlp   mapping.fc{i-1}: EqualLinear with lr_mul 0.01 and a fused leaky
                                            ReLU (bias * lr_mul, slope 0.2, gain sqrt 2) = FullyConnectedLayer
                                            "lrelu"; style.0 is PixelNorm = normalize_2nd_moment
    input.input (1, C, 4, 4)                synthesis.b4.const (C, 4, 4): the batch axis is dropped
    conv1 / convs.{2j} / convs.{2j+1}       b4.conv1 / b{2^(j+3)}.conv0 (upsampling) / .conv1
      .conv.weight (1, O, I, k, k)            .weight (O, I, k, k)
      .conv.modulation.{weight,bias}          .affine.{weight,bias} (both keep the bias initialised to 1)
      .noise.weight (1,)                      .noise_strength ()
      .activate.bias (O,)                     .bias: FusedLeakyReLU adds it after the noise, as bias_act does
      .conv.blur.kernel (upsampling only)     the resample filter, make_kernel([1, 3, 3, 1]) * 4 = our filter * 4
    to_rgb1 / to_rgbs.{j}                   b4.torgb / b{2^(j+3)}.torgb
      .conv.weight (1, 3, C, 1, 1), .bias (1, 3, 1, 1), .conv.modulation, .upsample.kernel (the same filter)
    noises.noise_{n} (1, 1, R, R)           the layers' noise_const (R, R), in the order the layers run

Where the two conventions differ, and why the pixels still agree:
- Weight scale: rosinality multiplies every modulated weight by 1 / sqrt(fan_in) before demodulating; NVlabs
  does not, and demodulation divides the scale out again (only the 1e-8 of its rsqrt sees it). ToRGB layers
  are not demodulated: there both scale the styles (or weights) by 1 / sqrt(in_channels).
- Upsampling: rosinality's ModulatedConv2d(upsample=True) is a stride-2 transposed convolution with the weight
  as stored (a true convolution), then Blur(pad (1, 1)); that is NVlabs' conv0 with flip_weight=False and the
  same padding. Its ToRGB skip Upsample pads (2, 1), as NVlabs' upsample2d does for a 4-tap filter.
- Noise: rosinality's randomize_noise=False uses the `noises` buffers, NVlabs' noise_mode 'const' its
  noise_const buffers: the same numbers once reshaped. (rosinality draws fresh noise by default.)
- Latents: n_latent = 2 log2(size) - 2, NVlabs' num_ws; w i drives the same layers in both (a block's ToRGB
  shares its w with the next block's first convolution).
- Truncation: rosinality pulls w toward `truncation_latent`, which converted files store as latent_avg and
  training checkpoints do not keep at all (generate.py averages 4096 freshly mapped z). We store latent_avg as
  w_avg, or, when the file has none, the mean of `MEAN_LATENT_SAMPLES` mapped z drawn with seed 0, so the
  same file always truncates the same way.

Settings are read off the tensors: size from the number of to_rgbs, style_dim and n_mlp from `style.*`, the
channels per resolution (channel_multiplier) from the convolutions, the blur taps from the blur kernels.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from ganstudio.core.checkpoint import ForeignWeights
from ganstudio.core.errors import CheckpointError
from ganstudio.core.models.stylegan2_ops import setup_filter

__all__ = ["PROGRAM", "is_rosinality_state", "import_rosinality_generator", "MEAN_LATENT_SAMPLES"]

PROGRAM = "rosinality stylegan2-pytorch"
MEAN_LATENT_SAMPLES = 4096  # generate.py's --truncation_mean
MEAN_LATENT_SEED = 0
_STYLE = re.compile(r"^style\.(\d+)\.(weight|bias)$")
_MAX_LOG_SIZE = 12  # 4096 px


def is_rosinality_state(state: dict[str, torch.Tensor]) -> bool:
    """rosinality's Generator: its constant input `input.input` and first styled convolution `conv1.conv`."""
    return "input.input" in state and "conv1.conv.weight" in state and "style.1.weight" in state


def _need(state: dict[str, torch.Tensor], key: str, ndim: int, where: str) -> torch.Tensor:
    t = state.get(key)
    if t is None:
        raise CheckpointError(f"{where} lacks the tensor {key}, which a rosinality StyleGAN2 generator of its size has.")
    if t.dim() != ndim:
        raise CheckpointError(f"{where}: {key} has shape {tuple(t.shape)}, where rosinality's Generator keeps a "
                              f"{ndim}-D tensor.")
    return t


def _channel_rule(channels: dict[int, int], where: str) -> tuple[int, int]:
    """(channel_base, channel_max) with min(channel_base // res, channel_max) = channels[res] at every resolution:
    rosinality's table (512 up to 32 px, then 256 * channel_multiplier at 64 px, halving) is of that form."""
    cmax = max(channels.values())
    low, high = 1, 1 << 24
    for res, c in channels.items():
        if c == cmax:
            low = max(low, cmax * res)
        else:
            low, high = max(low, c * res), min(high, (c + 1) * res - 1)
    if low > high or any(min(low // res, cmax) != c for res, c in channels.items()):
        shown = ", ".join(f"{res} px {c}" for res, c in sorted(channels.items()))
        raise CheckpointError(f"{where} has channels per resolution ({shown}) that GAN Studio's StyleGAN2 cannot "
                              "lay out (it takes min(base / resolution, maximum), as channel multipliers 1 and 2 do).")
    return low, cmax


def _blur_taps(state: dict[str, torch.Tensor], keys: list[str], where: str) -> list[float]:
    """The 1-D taps of the blur kernels (make_kernel(k) * 4: the normalised outer product, times the factor 4 of
    2x upsampling); every one of them must be that same separable kernel."""
    first = _need(state, keys[0], 2, where).double()
    taps = first.sum(dim=0)
    if not float(taps.sum()) or not torch.isfinite(taps).all():
        raise CheckpointError(f"{where}: its blur kernel {keys[0]} sums to {float(taps.sum()):g}.")
    expected = torch.outer(taps, taps) / taps.sum() ** 2 * 4
    for key in keys:
        kernel = _need(state, key, 2, where)
        if kernel.shape != expected.shape or not torch.allclose(kernel.double(), expected, rtol=1e-4, atol=1e-6):
            raise CheckpointError(f"{where}: its blur kernel {key} is not the separable 2x-upsampling kernel the "
                                  f"other layers use ({keys[0]}).")
    return [float(t) for t in (taps / taps.sum()).float()]  # [1, 3, 3, 1] -> [0.125, 0.375, 0.375, 0.125], exact


_STYLED = ("conv.weight", "conv.modulation.weight", "conv.modulation.bias", "noise.weight", "activate.bias")
_TO_RGB = ("conv.weight", "conv.modulation.weight", "conv.modulation.bias", "bias")


def expected_names(log_size: int, n_mlp: int) -> set[str]:
    """Every tensor name of rosinality's Generator(2 ** log_size, style_dim, n_mlp) state dict."""
    names = {f"style.{i}.{leaf}" for i in range(1, n_mlp + 1) for leaf in ("weight", "bias")} | {"input.input"}
    names |= {f"conv1.{leaf}" for leaf in _STYLED} | {f"to_rgb1.{leaf}" for leaf in _TO_RGB}
    for j in range(log_size - 2):
        names |= {f"convs.{n}.{leaf}" for n in (2 * j, 2 * j + 1) for leaf in _STYLED}
        names |= {f"to_rgbs.{j}.{leaf}" for leaf in _TO_RGB}
        names |= {f"convs.{2 * j}.conv.blur.kernel", f"to_rgbs.{j}.upsample.kernel"}
    return names | {f"noises.noise_{n}" for n in range(2 * (log_size - 2) + 1)}


def _styled(ours: dict[str, torch.Tensor], state: dict[str, torch.Tensor], src: str, dst: str, noise: str,
            where: str) -> None:
    weight = _need(state, f"{src}.conv.weight", 5, where)
    if weight.shape[0] != 1:
        raise CheckpointError(f"{where}: {src}.conv.weight has shape {tuple(weight.shape)}, not (1, out, in, k, k).")
    ours[f"{dst}.weight"] = weight[0]
    ours[f"{dst}.affine.weight"] = _need(state, f"{src}.conv.modulation.weight", 2, where)
    ours[f"{dst}.affine.bias"] = _need(state, f"{src}.conv.modulation.bias", 1, where)
    strength = _need(state, f"{src}.noise.weight", 1, where)
    if strength.numel() != 1:
        raise CheckpointError(f"{where}: {src}.noise.weight has {strength.numel()} numbers, where NoiseInjection "
                              "keeps one.")
    ours[f"{dst}.noise_strength"] = strength.reshape(())
    ours[f"{dst}.bias"] = _need(state, f"{src}.activate.bias", 1, where)
    noise_map = _need(state, noise, 4, where)
    if tuple(noise_map.shape[:2]) != (1, 1):
        raise CheckpointError(f"{where}: {noise} has shape {tuple(noise_map.shape)}, not (1, 1, size, size).")
    ours[f"{dst}.noise_const"] = noise_map[0, 0]


def _to_rgb(ours: dict[str, torch.Tensor], state: dict[str, torch.Tensor], src: str, dst: str, where: str) -> None:
    weight = _need(state, f"{src}.conv.weight", 5, where)
    if weight.shape[0] != 1:
        raise CheckpointError(f"{where}: {src}.conv.weight has shape {tuple(weight.shape)}, not (1, 3, in, 1, 1).")
    ours[f"{dst}.weight"] = weight[0]
    ours[f"{dst}.affine.weight"] = _need(state, f"{src}.conv.modulation.weight", 2, where)
    ours[f"{dst}.affine.bias"] = _need(state, f"{src}.conv.modulation.bias", 1, where)
    ours[f"{dst}.bias"] = _need(state, f"{src}.bias", 4, where).reshape(-1)


def _layout(state: dict[str, torch.Tensor], where: str) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """NVlabs init kwargs and the state dict under NVlabs' names, from rosinality's tensors (every one placed)."""
    wavelets = [k for k in state if {"iwt", "dwt"} & set(k.split("."))]
    if wavelets:
        raise CheckpointError(f"{where} is a SWAGAN generator (wavelet layers such as {wavelets[0]}); GAN Studio "
                              "opens rosinality's StyleGAN2 generators only.")
    mlp = sorted({int(m.group(1)) for k in state if (m := _STYLE.match(k))})
    if not mlp or mlp != list(range(1, len(mlp) + 1)):
        raise CheckpointError(f"{where}: its mapping layers are style.{', style.'.join(map(str, mlp[:6]))}, where "
                              "rosinality numbers them style.1 to style.n_mlp.")
    style_dim = int(_need(state, "style.1.weight", 2, where).shape[1])
    n_rgbs = len({k.split(".")[1] for k in state if k.startswith("to_rgbs.")})
    log_size = n_rgbs + 2
    if not 3 <= log_size <= _MAX_LOG_SIZE:
        raise CheckpointError(f"{where} has {n_rgbs} to_rgbs layers; rosinality generators of 8 to "
                              f"{2 ** _MAX_LOG_SIZE} px have 1 to {_MAX_LOG_SIZE - 2}.")
    size = 2**log_size
    expected = expected_names(log_size, len(mlp))
    missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or extra:
        parts = ([f"lacks {', '.join(missing[:3])}{' and more' if len(missing) > 3 else ''}"] if missing else []) + \
            ([f"has {', '.join(extra[:3])}{' and more' if len(extra) > 3 else ''} besides"] if extra else [])
        raise CheckpointError(f"{where} is not a rosinality StyleGAN2 generator of {size} px: it "
                              f"{' and '.join(parts)}.")
    const = _need(state, "input.input", 4, where)
    if const.shape[0] != 1 or tuple(const.shape[2:]) != (4, 4):
        raise CheckpointError(f"{where}: input.input has shape {tuple(const.shape)}, not (1, channels, 4, 4).")
    ours: dict[str, torch.Tensor] = {}
    for i in mlp:
        ours[f"mapping.fc{i - 1}.weight"] = _need(state, f"style.{i}.weight", 2, where)
        ours[f"mapping.fc{i - 1}.bias"] = _need(state, f"style.{i}.bias", 1, where)
    ours["mapping.w_avg"] = torch.zeros(style_dim)  # set by the caller (latent_avg, or the mean of mapped z)
    ours["synthesis.b4.const"] = const[0]
    channels = {4: int(const.shape[1])}
    _styled(ours, state, "conv1", "synthesis.b4.conv1", "noises.noise_0", where)
    _to_rgb(ours, state, "to_rgb1", "synthesis.b4.torgb", where)
    blur_keys = []
    for j in range(log_size - 2):
        res = 2 ** (j + 3)
        b = f"synthesis.b{res}"
        _styled(ours, state, f"convs.{2 * j}", f"{b}.conv0", f"noises.noise_{2 * j + 1}", where)
        _styled(ours, state, f"convs.{2 * j + 1}", f"{b}.conv1", f"noises.noise_{2 * j + 2}", where)
        _to_rgb(ours, state, f"to_rgbs.{j}", f"{b}.torgb", where)
        channels[res] = int(state[f"convs.{2 * j}.conv.weight"].shape[1])
        blur_keys += [f"convs.{2 * j}.conv.blur.kernel", f"to_rgbs.{j}.upsample.kernel"]
    taps = _blur_taps(state, blur_keys, where)
    # NVlabs keeps the filter in every block and layer as a buffer; rosinality only where it resamples
    f = setup_filter(taps)
    for res in [2**i for i in range(2, log_size + 1)]:
        for name in (f"b{res}", f"b{res}.conv1") + ((f"b{res}.conv0",) if res > 4 else ()):
            ours[f"synthesis.{name}.resample_filter"] = f.clone()
    base, cmax = _channel_rule(channels, where)
    kwargs = {"z_dim": style_dim, "c_dim": 0, "w_dim": style_dim, "img_resolution": size,
              "img_channels": int(state["to_rgb1.conv.weight"].shape[1]),
              "mapping_kwargs": {"num_layers": len(mlp), "lr_multiplier": 0.01},  # train.py's lr_mlp, fixed
              "synthesis_kwargs": {"channel_base": base, "channel_max": cmax, "num_fp16_res": 0,
                                   "architecture": "skip", "resample_filter": taps, "conv_clamp": None,
                                   "kernel_size": int(state["conv1.conv.weight"].shape[-1])}}
    return kwargs, ours


def _mean_mapped_w(model: torch.nn.Module, z_dim: int) -> torch.Tensor:
    """The mean of MEAN_LATENT_SAMPLES mapped z (seed MEAN_LATENT_SEED), in batches: generate.py's mean_latent."""
    g = torch.Generator().manual_seed(MEAN_LATENT_SEED)
    z = torch.randn(MEAN_LATENT_SAMPLES, z_dim, generator=g)
    total = None
    with torch.no_grad():
        for part in z.split(512):
            w = model.mapping(part, None)[:, 0].double().sum(dim=0)
            total = w if total is None else total + w
    return (total / MEAN_LATENT_SAMPLES).float()


def import_rosinality_generator(path: str | Path, weights: ForeignWeights):
    """A rosinality checkpoint's g_ema (else g) as `LabelledStyleGAN2` over our StyleGAN2 generator; settings as
    NVlabs pickles have them (so `ganstudio import` stores and rebuilds it the same way), plus how w_avg was got
    in `imported.note`."""
    from ganstudio.core.models.nvlabs_pickle import _rebuild

    path = Path(path)
    args = weights.extras.get("args")
    if isinstance(args, dict) and args.get("arch") not in (None, "stylegan2"):
        raise CheckpointError(f"{path.name} was trained with --arch {str(args.get('arch'))[:20]}; GAN Studio opens "
                              "rosinality's stylegan2 generators only.")
    network = "G" if weights.entry == "g" else "G_ema"
    where = f"{path.name} ({weights.entry or 'state dict'})"
    kwargs, state = _layout(weights.state, where)
    w_dim = kwargs["w_dim"]
    latent_avg = weights.extras.get("latent_avg")
    if latent_avg is not None:
        if not isinstance(latent_avg, torch.Tensor) or latent_avg.numel() != w_dim or not latent_avg.is_floating_point() \
                or not torch.isfinite(latent_avg).all():
            raise CheckpointError(f"{path.name}: its latent_avg is not {w_dim} finite numbers (the generator's "
                                  "style_dim).")
        state["mapping.w_avg"] = latent_avg.detach().reshape(w_dim).float()
    imported = _rebuild(path, where, network, False, kwargs, state)
    G = imported.model.G
    if latent_avg is None:
        with torch.no_grad():
            G.mapping.w_avg.copy_(_mean_mapped_w(G, w_dim))
        imported.note = f"truncation around the mean of {MEAN_LATENT_SAMPLES} mapped z (the file keeps no latent_avg)"
    else:
        imported.note = "truncation around its latent_avg"
    imported.program = PROGRAM
    imported.entry = weights.entry
    return imported
