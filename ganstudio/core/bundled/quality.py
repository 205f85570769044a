"""The quality measures recorded with each bundled model (see docs/QUALITY.md for what each means)."""

from __future__ import annotations

import logging
from typing import Any

import torch
import torch.nn.functional as F

from ganstudio.core.errors import ModelError

log = logging.getLogger(__name__)

SCENE_SIZE = 64
HELD_OUT_SEED = 1_000_000  # procedural scenes from this seed on are never trained on


# --- quality -------------------------------------------------------------------------------------------------

def evaluate_generator(name: str, G: torch.nn.Module, quick: bool = False, size: int | None = None) -> dict[str, Any]:
    """Honest numbers for one bundled generator (see docs/QUALITY.md for what each means). `size`: measure
    the sketch model against scenes of this size (its outputs scaled bilinearly when it works smaller)."""
    if name == "digits-conditional":
        return digits_quality(G, per_class=10 if quick else 100, classifier_steps=30 if quick else 1500)
    if name == "sketch-landscapes":
        return sketch_quality(G, n=8 if quick else 100, size=size)
    if name == "landscapes-dcgan":
        return scenes_quality(G, n=16 if quick else 1000)
    raise ModelError(f"no quality measure for '{name}'.")


class DigitClassifier(torch.nn.Module):
    """A small CNN for 32x32 grey digits in [-1, 1] (the judge of the conditional digits model)."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, 2, 1), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 32, 3, 2, 1), torch.nn.ReLU(),
            torch.nn.Conv2d(32, 64, 3, 2, 1), torch.nn.ReLU(),
            torch.nn.Flatten(), torch.nn.Linear(64 * 16, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def train_digit_classifier(steps: int = 1500, seed: int = 0, held_out: float = 0.2):
    """(classifier in eval mode, accuracy on held-out real digits) from the bundled digits at 32x32.

    Random shifts of up to 2 pixels make it judge shapes rather than exact positions.
    """
    from ganstudio.core.data import load_digits

    digits = load_digits(size=32)
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(digits), generator=g)
    n_test = int(len(digits) * held_out)
    test, train = order[:n_test], order[n_test:]
    x_train, y_train = digits.images[train], digits.labels[train]
    torch.manual_seed(seed)
    model = DigitClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    with torch.enable_grad():
        _fit(model, opt, x_train, y_train, steps, g)
    model.eval()
    with torch.no_grad():
        accuracy = float((model(digits.images[test]).argmax(1) == digits.labels[test]).float().mean())
    return model, accuracy


def _fit(model, opt, x_train: torch.Tensor, y_train: torch.Tensor, steps: int, g: torch.Generator) -> None:
    for _ in range(steps):
        idx = torch.randint(0, len(x_train), (64,), generator=g)
        x = x_train[idx]
        dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=g))
        x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
        loss = F.cross_entropy(model(x), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


@torch.no_grad()
def digits_quality(G: torch.nn.Module, per_class: int = 100, classifier_steps: int = 1500, seed: int = 0,
                   classifier=None) -> dict[str, Any]:
    """Accuracy of a small CNN (trained on real digits) on generated digits, per requested class."""
    if classifier is None:
        classifier, real_accuracy = train_digit_classifier(classifier_steps, seed=seed)
    else:
        real_accuracy = None
    g = torch.Generator().manual_seed(seed + 1)
    y = torch.arange(10).repeat_interleave(per_class)
    z = torch.randn(len(y), G.z_dim, generator=g)
    fake = G(z, y)
    hits = (classifier(fake).argmax(1) == y).float()
    per = hits.view(10, per_class).mean(1)
    return {
        "classifier_real_accuracy": None if real_accuracy is None else round(real_accuracy, 4),
        "generated_accuracy": round(float(hits.mean()), 4),
        "generated_accuracy_per_class": [round(float(v), 3) for v in per],
        "samples_per_class": per_class,
        "pixel_std_over_samples": round(float(fake.std(0).mean()), 4),
    }


def held_out_scenes(n: int, size: int = SCENE_SIZE) -> torch.Tensor:
    """n procedural scenes never trained on (seeds from HELD_OUT_SEED), float32 (n, 3, size, size) in [-1, 1]."""
    from ganstudio.core.data.scenes import render_scenes

    pixels = render_scenes(n, size, seed=HELD_OUT_SEED)
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 127.5 - 1


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB between images in [-1, 1], measured on the [0, 1] scale."""
    mse = (((a.clamp(-1, 1) - b.clamp(-1, 1)) / 2) ** 2).flatten(1).mean(1)
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-10))


def model_size(G: torch.nn.Module) -> int:
    """The picture size a translating generator was built for (64 for U-Nets that do not say)."""
    return int(getattr(G, "image_size", None) or SCENE_SIZE)


def sobel_map(images: torch.Tensor) -> torch.Tensor:
    """(N, H, W): the Sobel gradient magnitude of each image's luma (images (N, 3, H, W) or (N, 1, H, W) in
    [-1, 1]; Rec. 601 weights; replicate padding, so a flat image is 0 everywhere). A ramp rising by a per
    pixel gives 8a away from the border (the Sobel kernel's gain)."""
    x = images.float()
    if x.shape[1] == 3:
        x = 0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    k = torch.stack([kx, kx.t()])[:, None]
    g = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k)
    return g.pow(2).sum(1).sqrt()


def sobel_magnitude(images: torch.Tensor) -> torch.Tensor:
    """Per image, the mean of `sobel_map`."""
    return sobel_map(images).flatten(1).mean(1)


def edge_sharpness(outputs: torch.Tensor, real: torch.Tensor) -> float:
    """Mean Sobel magnitude of the outputs over that of the real scenes, whole pictures: 1 is as much
    gradient as the real pictures, below 1 blurrier. Texture and checkerboard noise raise it too, so read
    it with `edge_contrast`."""
    return float(sobel_magnitude(outputs).mean() / sobel_magnitude(real).mean().clamp_min(1e-12))


def edge_contrast(outputs: torch.Tensor, real: torch.Tensor, top: float = 0.1) -> float:
    """The same ratio only where the real scene has its edges (per image the `top` fraction of pixels with
    the largest real Sobel magnitude): 1 when the model draws those edges as steep as they are, below 1
    when it blurs them; noise away from the real edges does not count."""
    r, o = sobel_map(real).flatten(1), sobel_map(outputs).flatten(1)
    k = max(1, int(round(top * r.shape[1])))
    idx = r.topk(k, dim=1).indices
    return float(o.gather(1, idx).mean() / r.gather(1, idx).mean().clamp_min(1e-12))


def translate_variants(G: torch.nn.Module, inputs: torch.Tensor, seeds: list[int]) -> torch.Tensor:
    """(N, V, 3, H, W): each input translated once per variant seed, as the Sketch area's strip draws them:
    a model with a latent input (`latent_dim`) in eval mode with each seed's z; any other in the pix2pix
    reference's test mode (per-image batch norm, dropout masks from the seed)."""
    from ganstudio.core.generators.latent_variants import variant_latents
    from ganstudio.core.generators.reference_mode import reference_mode

    n, v = inputs.shape[0], len(seeds)
    x = inputs.repeat_interleave(v, 0)
    all_seeds = list(seeds) * n
    nz = int(getattr(G, "latent_dim", 0) or 0)
    G.eval()
    if nz:
        out = G(x, variant_latents(all_seeds, nz))
    else:
        with reference_mode(G, all_seeds):
            out = G(x)
    return out.view(n, v, *out.shape[1:])


def variant_distance(variants: torch.Tensor) -> float:
    """Mean over inputs and over the pairs of variants of the mean absolute pixel difference ([-1, 1]
    units, so 0.1 is 5 % of the range): how different the variants of one input are."""
    n, v = variants.shape[:2]
    if v < 2:
        return 0.0
    pairs = [(i, j) for i in range(v) for j in range(i + 1, v)]
    d = torch.stack([(variants[:, i] - variants[:, j]).abs().flatten(1).mean(1) for i, j in pairs], 1)
    return float(d.mean())


def _at_size(images: torch.Tensor, size: int) -> torch.Tensor:
    """Images scaled to size x size: area averaging down, bilinear up (as the app shows a model's picture)."""
    if images.shape[-1] == size:
        return images
    if images.shape[-1] > size:
        return F.interpolate(images, size=(size, size), mode="area")
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


@torch.no_grad()
def sketch_quality(G: torch.nn.Module, n: int = 100, batch: int = 25, size: int | None = None,
                   n_variants: int = 4) -> dict[str, Any]:
    """Held-out L1, PSNR and edge sharpness of the sketch model on n unseen procedural scenes, through the
    auto-pairing code, and how much its variants differ.

    Settings: lines only; 10 colour hints; and a mean-image baseline (what predicting the average
    training scene scores), so the numbers have a scale. Scenes are rendered at `size` (default the
    model's); a model that works smaller gets them area-scaled to its size and its outputs are scaled up
    bilinearly before they are compared, so models of different sizes are measured on the same pictures.
    Variants: `n_variants` seeds per input (`translate_variants`) on the first min(n, 25) inputs.
    """
    from ganstudio.core.sketch.encoding import image_to_sketch_input

    own = model_size(G)
    size = int(size or own)
    real = held_out_scenes(n, size)
    seen = _at_size(real, own)
    result: dict[str, Any] = {"held_out_scenes": n, "held_out_seeds": f"{HELD_OUT_SEED}..{HELD_OUT_SEED + n - 1}",
                              "size": size, "model_size": own}
    G.eval()
    for label, hints in (("lines_only", 0), ("hints10", 10)):
        g = torch.Generator().manual_seed(0)
        inputs = image_to_sketch_input(seen, n_hints=hints, generator=g)
        out = _at_size(torch.cat([G(inputs[i:i + batch]) for i in range(0, n, batch)]), size)
        result[f"l1_{label}"] = round(float((out - real).abs().mean()), 4)
        result[f"psnr_{label}"] = round(float(psnr(out, real).mean()), 2)
        result[f"sharpness_{label}"] = round(edge_sharpness(out, real), 3)
        result[f"edge_contrast_{label}"] = round(edge_contrast(out, real), 3)
        k = min(n, 25)
        variants = torch.cat([translate_variants(G, inputs[i:min(i + 5, k)], list(range(n_variants)))
                              for i in range(0, k, 5)])
        result[f"variant_distance_{label}"] = round(variant_distance(variants), 4)
    mean_image = real.mean(0, keepdim=True).expand_as(real)
    result["l1_mean_image_baseline"] = round(float((mean_image - real).abs().mean()), 4)
    result["psnr_mean_image_baseline"] = round(float(psnr(mean_image, real).mean()), 2)
    result["sobel_real"] = round(float(sobel_magnitude(real).mean()), 4)
    return result


@torch.no_grad()
def scenes_quality(G: torch.nn.Module, n: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Sliced Wasserstein distance (pixels, [-1, 1]) between n generated and n held-out scenes, with the
    real-vs-real floor and an untrained generator's distance as the scale."""
    from ganstudio.core.train import metrics

    real = held_out_scenes(2 * n) if n > 0 else None
    real_a, real_b = real[:n], real[n:]
    g = torch.Generator().manual_seed(seed)
    fake = torch.cat([G(torch.randn(min(200, n - i), G.z_dim, generator=g)) for i in range(0, n, 200)])

    def sw(a, b):
        return round(metrics.sliced_wasserstein(a.flatten(1), b.flatten(1), n_projections=512,
                                                generator=torch.Generator().manual_seed(seed + 7)), 4)

    untrained = _untrained_like(G)
    fresh = untrained(torch.randn(n, G.z_dim, generator=g))
    return {
        "sliced_w": sw(fake, real_a),
        "sliced_w_real_vs_real": sw(real_b, real_a),
        "sliced_w_untrained": sw(fresh, real_a),
        "samples": n,
        "pixel_std_over_samples": round(float(fake.std(0).mean()), 4),
        "pixel_std_real": round(float(real_a.std(0).mean()), 4),
    }


def _untrained_like(G: torch.nn.Module) -> torch.nn.Module:
    import copy

    from ganstudio.core.models.layers import dcgan_init_

    torch.manual_seed(0)
    fresh = copy.deepcopy(G)
    dcgan_init_(fresh)
    for m in fresh.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
    return fresh.train()  # fresh BatchNorm statistics come from the batch


