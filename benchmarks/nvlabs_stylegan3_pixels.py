"""NVlabs' own stylegan3 code against GAN Studio's rebuild, run once by hand (not a test: nothing of GAN Studio
depends on NVlabs' code). NVlabs' Generator is built and pickled by their own persistence code (module_src and
all); GAN Studio opens that file with its restricted unpickler and renders the same z, class and psi. On the CPU
NVlabs' ops take their reference (non-CUDA) paths, so nothing is compiled.

    python benchmarks/nvlabs_stylegan3_pixels.py NVLABS_DIR

NVLABS_DIR holds NVlabs/stylegan3's training/, torch_utils/ and dnnlib/ (`git archive HEAD training torch_utils
dnnlib`), plus two stubs for imports their code makes but these paths never use: `requests.py` (empty) and
`pkg_resources/__init__.py` (`from packaging.version import parse as parse_version`). Their code needs scipy."""
import copy
import pickle
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, sys.argv[1])
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
torch.set_num_threads(1)
from training import networks_stylegan3 as N  # noqa: E402

from ganstudio.core.generators.handle import open_generator  # noqa: E402

OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp")


def pixels(x):
    """generate.py's conversion to 8 bits."""
    return (x.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8).int()


def run(name, **kw):
    torch.manual_seed(0)
    G = N.Generator(**kw).eval()
    # trained weights are not random-init: perturb every tensor a little so all terms matter
    with torch.no_grad():
        for _, p in G.named_parameters():
            p.add_(0.05 * torch.randn_like(p))
        for n_, b in G.named_buffers():
            if n_.endswith("magnitude_ema"):
                b.fill_(0.3 + torch.rand([]).item())
            if n_.endswith("w_avg"):
                b.copy_(0.3 * torch.randn_like(b))
    path = OUT / f"{name}.pkl"
    with open(path, "wb") as f:
        pickle.dump({"G": G, "G_ema": copy.deepcopy(G), "D": None}, f)
    gen = open_generator(path, device="cpu")
    z = torch.randn(4, kw["z_dim"], generator=torch.Generator().manual_seed(1))
    c = torch.nn.functional.one_hot(torch.arange(4) % kw["c_dim"], kw["c_dim"]).float() if kw["c_dim"] else None
    labels = (np.arange(4) % kw["c_dim"]) if kw["c_dim"] else None
    worst = 0
    for psi in (1.0, 0.7):
        with torch.no_grad():
            ref = G(z, c, truncation_psi=psi, noise_mode="const", force_fp32=True)
        ours = gen.generate(z.numpy(), labels, truncation_psi=psi)
        d = (ours - ref).abs().max().item()
        dp = (pixels(ours) - pixels(ref)).abs().max().item()
        worst = max(worst, dp)
        print(f"{name} psi {psi}: max |ours - NVlabs| = {d:.3g} (images std {ref.std().item():.3g}); pixels max diff {dp}/255")
    return worst

run("sg3-t-64", z_dim=32, c_dim=0, w_dim=32, img_resolution=64, img_channels=3, channel_base=2048, channel_max=64,
    magnitude_ema_beta=0.999, mapping_kwargs={"num_layers": 2})
run("sg3-r-64-cond", z_dim=32, c_dim=4, w_dim=32, img_resolution=64, img_channels=3, channel_base=4096, channel_max=128,
    magnitude_ema_beta=0.999, conv_kernel=1, use_radial_filters=True, mapping_kwargs={"num_layers": 2})
run("sg3-t-256", z_dim=64, c_dim=0, w_dim=64, img_resolution=256, img_channels=3, channel_base=4096, channel_max=64,
    magnitude_ema_beta=0.999, mapping_kwargs={"num_layers": 2})
