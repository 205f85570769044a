"""rosinality/stylegan2-pytorch's own model.py against GAN Studio's import of its checkpoints, run once by hand (not
a test: nothing of GAN Studio depends on rosinality's code). Their Generator is built, perturbed at random (noise
strengths and biases start at zero), saved as their train.py saves it (g, d, g_ema, optimizers, the args
Namespace) or as convert_weight.py does (g_ema, latent_avg); GAN Studio opens the file and renders the same z, psi
(around the same truncation latent), stored noise (their randomize_noise=False) and style mixing (their
inject_index).

    python benchmarks/rosinality_pixels.py ROSINALITY_DIR [OUT_DIR] [--full]

ROSINALITY_DIR holds their model.py and op/ (`git archive HEAD model.py op`). Their op/ package compiles CUDA
kernels when imported; here `torch.utils.cpp_extension.load` is replaced by a stub that compiles nothing, so on the
CPU their own fallbacks run (fused_leaky_relu's CPU branch, upfirdn2d_native, conv2d_gradfix's F.conv2d). --full
adds the 256 px config-f network (style_dim 512, 8 mapping layers, channel multiplier 2). 1 torch thread."""

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.utils.cpp_extension

torch.utils.cpp_extension.load = lambda *args, **kwargs: None  # their op/ compiles CUDA at import: not here
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
torch.set_num_threads(1)

from ganstudio.core.generators.handle import open_generator  # noqa: E402
from ganstudio.core.generators.style_edit import StyleEdit  # noqa: E402


def pixels(x):
    return ((x.clamp(-1, 1) + 1) * 127.5)


def perturb(g):
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name.endswith("noise.weight"):
                p.normal_(0, 0.3)
            elif name.endswith("activate.bias") or (name.endswith(".bias") and "rgb" in name and "modulation" not in name):
                p.normal_(0, 0.1)
            elif name.endswith("modulation.bias"):
                p.add_(0.1 * torch.randn_like(p))
            elif name.startswith("style.") and name.endswith("bias"):
                p.normal_(0, 1.0)


def run(Generator, out, size, style_dim, n_mlp, cm, converted):
    torch.manual_seed(size + n_mlp)
    g = Generator(size, style_dim, n_mlp, channel_multiplier=cm).eval()
    perturb(g)
    if converted:
        with torch.no_grad():
            ckpt = {"g_ema": g.state_dict(), "latent_avg": g.mean_latent(4096)[0]}
    else:
        ckpt = {"g": g.state_dict(), "d": {}, "g_ema": g.state_dict(), "g_optim": {}, "d_optim": {},
                "args": argparse.Namespace(arch="stylegan2", size=size, latent=style_dim, n_mlp=n_mlp,
                                           channel_multiplier=cm, lr=0.002, ckpt=None), "ada_aug_p": 0.0}
    path = out / f"rosinality-{size}-{style_dim}-{n_mlp}-cm{cm}-{'converted' if converted else 'train'}.pt"
    torch.save(ckpt, path)
    t = time.perf_counter()
    gen = open_generator(path, device="cpu")
    t_open = time.perf_counter() - t
    centre = gen._network().G.mapping.w_avg[None]  # latent_avg, or our mean of mapped z: the same centre for both
    z = torch.randn(2, style_dim, generator=torch.Generator().manual_seed(5))
    rows = []
    for psi in (1.0, 0.5):
        t = time.perf_counter()
        with torch.no_grad():
            ref, _ = g([z], truncation=psi, truncation_latent=centre, randomize_noise=False)
        t_ref = time.perf_counter() - t
        t = time.perf_counter()
        ours = gen.generate(z.numpy(), truncation_psi=psi)
        t_ours = time.perf_counter() - t
        rows.append((f"psi {psi}", (ours - ref).abs().max().item(), (pixels(ours) - pixels(ref)).abs().max().item(),
                     t_ref, t_ours))
    z2 = torch.randn(1, style_dim, generator=torch.Generator().manual_seed(6))
    inject = g.n_latent // 2
    with torch.no_grad():
        ref, _ = g([z[:1], z2], inject_index=inject, randomize_noise=False)
    ours = gen.generate(z[:1].numpy(), style=StyleEdit(mix_z=z2[0].numpy(), mix_layers=(inject, g.n_latent)))
    rows.append((f"mixing at {inject}/{g.n_latent}", (ours - ref).abs().max().item(),
                 (pixels(ours) - pixels(ref)).abs().max().item(), float("nan"), float("nan")))
    name = f"{size} px, style_dim {style_dim}, n_mlp {n_mlp}, multiplier {cm}, {'converted' if converted else 'train.py'}"
    for what, d, dp, t_ref, t_ours in rows:
        times = "— | —" if t_ref != t_ref else f"{t_ref:.2f} s | {t_ours:.2f} s"
        print(f"| {name} | {what} | {d:.1e} | {dp:.4f}/255 | {times} |")
    print(f"(opened in {t_open:.2f} s)")


def main():
    args = [a for a in sys.argv[1:] if a != "--full"]
    sys.path.insert(0, args[0])
    from model import Generator  # rosinality's

    out = Path(args[1] if len(args) > 1 else "/tmp")
    print("| network | case | max abs difference | on the 0-255 scale | rosinality, batch 2 | ours |")
    print("|---|---|---|---|---|---|")
    run(Generator, out, 16, 32, 2, 1, converted=False)
    run(Generator, out, 32, 64, 4, 2, converted=True)
    run(Generator, out, 64, 32, 8, 1, converted=False)
    if "--full" in sys.argv:
        run(Generator, out, 256, 512, 8, 2, converted=True)


if __name__ == "__main__":
    main()
