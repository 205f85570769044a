"""The sketch model's measures against closed forms: Sobel edge sharpness, variant distance, measuring a
model on scenes larger than it works at, and variants drawn as the Sketch strip draws them."""

import pytest
import torch

from ganstudio.core.bundled.quality import (
    _at_size,
    edge_contrast,
    edge_sharpness,
    sketch_quality,
    sobel_magnitude,
    translate_variants,
    variant_distance,
)
from ganstudio.core.generators.latent_variants import variant_latents
from ganstudio.core.generators.reference_mode import reference_mode
from ganstudio.core.models.unet import unet_small


def test_sobel_magnitude_of_a_flat_picture_is_zero_and_of_a_ramp_its_closed_form():
    assert sobel_magnitude(torch.full((2, 3, 8, 8), 0.3)).abs().max() == 0
    a, w = 0.05, 10
    ramp = (a * torch.arange(w, dtype=torch.float32)).expand(1, 3, 6, w)  # grey: luma = the value
    # Sobel x of a ramp rising a per column: (1 + 2 + 1) * 2a = 8a inside; at the two border columns the
    # replicated neighbour halves the difference (4a); rows are all alike, so the y gradient is 0.
    expected = (8 * a * (w - 2) + 2 * 4 * a) / w
    assert sobel_magnitude(ramp).item() == pytest.approx(expected, rel=1e-6)
    assert sobel_magnitude(ramp.transpose(2, 3)).item() == pytest.approx(expected, rel=1e-6)  # a vertical ramp


def test_edge_sharpness_is_one_for_the_real_pictures_and_lower_for_a_blurred_copy():
    g = torch.Generator().manual_seed(0)
    real = torch.rand(4, 3, 32, 32, generator=g) * 2 - 1
    assert edge_sharpness(real, real) == pytest.approx(1.0)
    blurred = torch.nn.functional.avg_pool2d(real, 3, stride=1, padding=1, count_include_pad=False)
    assert edge_sharpness(blurred, real) < 0.6
    # upscaling a half-size copy bilinearly (what an old 64 px model shows at 128) also loses edges
    assert edge_sharpness(_at_size(_at_size(real, 16), 32), real) < 0.8


def test_edge_contrast_counts_the_real_edges_only():
    real = torch.full((1, 3, 32, 32), -0.5)
    real[..., 16:] = 0.5  # one vertical step edge
    assert edge_contrast(real, real) == pytest.approx(1.0)
    blurred = torch.nn.functional.avg_pool2d(real, (1, 5), stride=1, padding=(0, 2), count_include_pad=False)
    assert edge_contrast(blurred, real) < 0.7
    noisy = real.clone()
    noisy[..., 2:10] += 0.2 * ((torch.arange(8) // 2) % 2)  # a texture of 2-pixel stripes far from the edge
    assert edge_sharpness(noisy, real) > 1.5  # the whole-picture ratio counts the texture as sharpness
    # the ratio at the real edge does not (5 % of the pixels: within the 64 of the edge's two columns)
    assert edge_contrast(noisy, real, top=0.05) == pytest.approx(1.0)


def test_variant_distance_is_the_mean_over_pairs_of_the_mean_absolute_difference():
    v = torch.zeros(2, 3, 3, 4, 4)  # two inputs, three variants each
    v[:, 1] += 0.3
    v[:, 2] -= 0.1
    # pairs (0, 1) 0.3, (0, 2) 0.1, (1, 2) 0.4 -> 0.8 / 3 for both inputs
    assert variant_distance(v) == pytest.approx(0.8 / 3)
    assert variant_distance(v[:, :1]) == 0.0
    assert variant_distance(torch.ones(3, 4, 3, 4, 4)) == 0.0


def test_variants_come_from_z_for_latent_models_and_from_dropout_seeds_otherwise():
    torch.manual_seed(0)
    x = torch.rand(2, 5, 32, 32) * 2 - 1
    with_z = unet_small(5, 3, num_downs=5, ngf=4, latent_dim=3).eval()
    got = translate_variants(with_z, x, [4, 9])
    assert got.shape == (2, 2, 3, 32, 32)
    with torch.no_grad():
        for i in range(2):
            for j, seed in enumerate((4, 9)):
                assert torch.allclose(got[i, j], with_z(x[i:i + 1], variant_latents([seed], 3))[0], atol=1e-6)
    dropout = unet_small(5, 3, num_downs=6, ngf=4, use_dropout=True).eval()
    x64 = torch.rand(1, 5, 64, 64) * 2 - 1
    got = translate_variants(dropout, x64, [0, 1])
    with torch.no_grad(), reference_mode(dropout, [1]):
        expected = dropout(x64)
    assert torch.allclose(got[0, 1], expected[0], atol=1e-6)
    assert (got[0, 0] - got[0, 1]).abs().mean() > 0  # different masks, different pictures
    assert not dropout.training  # the measure leaves the model in eval mode


def test_a_small_model_is_measured_on_the_large_scenes_through_scaling():
    torch.manual_seed(0)
    small = unet_small(5, 3, num_downs=5, ngf=4).eval()  # 32 px, measured on 64 px scenes
    q = sketch_quality(small, n=4, batch=2, size=64, n_variants=2)
    assert q["size"] == 64 and q["model_size"] == 32
    assert 0 < q["l1_hints10"] < 2 and q["sobel_real"] > 0
    assert q["variant_distance_hints10"] == 0.0  # no dropout, no z: every variant is the same picture
    own = sketch_quality(small, n=4, batch=2, n_variants=2)
    assert own["size"] == 32 and own["l1_mean_image_baseline"] != q["l1_mean_image_baseline"]
