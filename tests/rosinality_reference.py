"""rosinality/stylegan2-pytorch checkpoints written by the tests' own writer, from an NVlabs-layout reference network.

`rosinality_state(sd, cfg)` renames and reshapes the state dict of `nvlabs_reference.reference_generator(cfg)`
(NVlabs' names) into the module tree of rosinality's model.py Generator: style.{i}, input.input (1, C, 4, 4),
conv1 / convs.N / to_rgb1 / to_rgbs.N with conv.weight (1, O, I, k, k), conv.modulation, noise.weight (1,),
activate.bias, to_rgb bias (1, 3, 1, 1), the blur buffers make_kernel([1, 3, 3, 1]) * 4 of the upsampling
convolutions and of the ToRGB skips, and noises.noise_N (1, 1, R, R) in the order the layers run. The two
conventions give the same pixels for the same weights (the scales that differ cancel in demodulation), so
`nvlabs_reference.reference_forward` on the NVlabs state dict is the independent expectation.

`write_training_checkpoint` saves what rosinality's train.py saves (g, d, g_ema, g_optim, d_optim, args as an
argparse.Namespace, ada_aug_p); `write_converted` what its convert_weight.py saves (g_ema, latent_avg).
"""

import argparse
from pathlib import Path

import torch
from nvlabs_reference import FILTER, Cfg


def rosinality_state(sd: dict, cfg: Cfg) -> dict:
    assert cfg.c == 0 and cfg.arch == "skip" and cfg.z == cfg.w and cfg.clamp is None
    out = {}
    for i in range(cfg.layers):
        out[f"style.{i + 1}.weight"] = sd[f"mapping.fc{i}.weight"]
        out[f"style.{i + 1}.bias"] = sd[f"mapping.fc{i}.bias"]
    out["input.input"] = sd["synthesis.b4.const"][None]
    noise = iter(range(100))

    def styled(src, dst, up):
        out[f"{dst}.conv.weight"] = sd[f"{src}.weight"][None]
        out[f"{dst}.conv.modulation.weight"] = sd[f"{src}.affine.weight"]
        out[f"{dst}.conv.modulation.bias"] = sd[f"{src}.affine.bias"]
        out[f"{dst}.noise.weight"] = sd[f"{src}.noise_strength"].reshape(1)
        out[f"{dst}.activate.bias"] = sd[f"{src}.bias"]
        if up:
            out[f"{dst}.conv.blur.kernel"] = FILTER * 4
        out[f"noises.noise_{next(noise)}"] = sd[f"{src}.noise_const"][None, None]

    def to_rgb(src, dst, up):
        out[f"{dst}.conv.weight"] = sd[f"{src}.weight"][None]
        out[f"{dst}.conv.modulation.weight"] = sd[f"{src}.affine.weight"]
        out[f"{dst}.conv.modulation.bias"] = sd[f"{src}.affine.bias"]
        out[f"{dst}.bias"] = sd[f"{src}.bias"].reshape(1, -1, 1, 1)
        if up:
            out[f"{dst}.upsample.kernel"] = FILTER * 4

    styled("synthesis.b4.conv1", "conv1", up=False)
    to_rgb("synthesis.b4.torgb", "to_rgb1", up=False)
    for j, res in enumerate(cfg.resolutions[1:]):
        styled(f"synthesis.b{res}.conv0", f"convs.{2 * j}", up=True)
        styled(f"synthesis.b{res}.conv1", f"convs.{2 * j + 1}", up=False)
        to_rgb(f"synthesis.b{res}.torgb", f"to_rgbs.{j}", up=True)
    return {k: v.detach().clone() for k, v in out.items()}


def training_args(cfg: Cfg, **changes) -> argparse.Namespace:
    args = argparse.Namespace(path="lmdb/ffhq", arch="stylegan2", iter=800000, batch=16, n_sample=64, size=cfg.res,
                              r1=10.0, path_regularize=2.0, mixing=0.9, ckpt=None, lr=0.002, channel_multiplier=2,
                              wandb=False, local_rank=0, augment=False, augment_p=0.0, distributed=False,
                              latent=cfg.w, n_mlp=cfg.layers, start_iter=0)
    for k, v in changes.items():
        setattr(args, k, v)
    return args


def write_training_checkpoint(path: Path, sd: dict, cfg: Cfg, **arg_changes) -> Path:
    g = rosinality_state(sd, cfg)
    d = {"convs.0.0.weight": torch.randn(8, 3, 1, 1), "final_linear.1.bias": torch.zeros(1)}
    optim = {"state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.zeros(2)}},
             "param_groups": [{"lr": 0.002, "betas": (0.0, 0.99), "params": [0]}]}
    torch.save({"g": {k: v + 0.01 for k, v in g.items()}, "d": d, "g_ema": g, "g_optim": optim, "d_optim": optim,
                "args": training_args(cfg, **arg_changes), "ada_aug_p": 0.0}, path)
    return path


def write_converted(path: Path, sd: dict, cfg: Cfg) -> Path:
    torch.save({"g_ema": rosinality_state(sd, cfg), "latent_avg": sd["mapping.w_avg"].clone()}, path)
    return path
