"""iGAN-style latent editing: the optimised loss goes down and the picture moves towards the strokes."""

import numpy as np
import torch

from ganstudio.core.models.dcgan import DCGANGenerator
from ganstudio.core.sketch.fit_latent import EditSettings, EditTarget, StrokeLoss, edit_latent, fit_latent


def _generator():
    """A random DCGAN whose pictures vary with z (the DCGAN init's 0.02 std gives near-flat grey)."""
    torch.manual_seed(0)
    G = DCGANGenerator(z_dim=8, ngf=8, nc=3, image_size=32).eval()
    for m in G.modules():
        if isinstance(m, torch.nn.ConvTranspose2d):
            torch.nn.init.normal_(m.weight, 0.0, 0.2)
    return G


def _target_from(G, z_star):
    """Strokes that G can satisfy: colour hints taken from G(z*) and lines from its strongest edges."""
    from ganstudio.core.sketch.fit_latent import edge_map

    with torch.no_grad():
        image = G(z_star)
    pic = ((image[0].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy()
    mask = np.zeros((32, 32), np.uint8)
    for y, x in [(4, 4), (4, 24), (20, 10), (26, 26), (14, 16)]:
        mask[y:y + 3, x:x + 3] = 1
    edges = edge_map(image, 0.1)[0].numpy()
    lines = (edges > np.quantile(edges, 0.95)).astype(np.uint8)
    return EditTarget(lines=lines, hint_rgb=pic * mask[:, :, None], hint_mask=mask)


def test_optimised_loss_decreases_and_the_picture_moves_towards_the_strokes():
    G = _generator()
    g = torch.Generator().manual_seed(1)
    z_star, z_prev = torch.randn(1, 8, generator=g), torch.randn(1, 8, generator=g)
    target = _target_from(G, z_star)
    settings = EditSettings(n_starts=8, steps=40, lr=0.08, keep=3, report_every=10, seed=2)

    reports = []
    gen = edit_latent(G, target, z_dim=8, z_prev=z_prev.numpy(), settings=settings)
    while True:
        try:
            reports.append(next(gen))
        except StopIteration as done:
            result = done.value
            break
    assert [r.step for r in reports] == [0, 10, 20, 30] and result.step == 40
    assert result.z.shape == (3, 8) and result.images.shape == (3, 32, 32, 3) and result.images.dtype == np.uint8
    assert np.all(np.diff(result.losses) >= 0)  # best first
    assert result.history[-1] < 0.8 * result.history[0]
    assert result.best_loss == min(result.history)

    # The picture moved towards the strokes: the hint colours are nearly met, and the strokes are met
    # about as well as by the picture they were taken from (the edge term has a floor even there).
    colour_only = StrokeLoss(target, EditSettings(edge_weight=0.0))
    strokes = StrokeLoss(target, EditSettings())
    best = torch.from_numpy(result.z[:1])
    with torch.no_grad():
        assert float(colour_only(G(best))) < 0.1 * float(colour_only(G(z_prev)))
        assert float(strokes(G(best))) < float(strokes(G(z_star))) + 0.05 < float(strokes(G(z_prev)))


def test_a_strong_pull_keeps_the_previous_picture():
    G = _generator()
    z_prev = torch.randn(1, 8, generator=torch.Generator().manual_seed(3))
    target = _target_from(G, torch.randn(1, 8, generator=torch.Generator().manual_seed(4)))
    free = fit_latent(G, target, 8, z_prev.numpy(), EditSettings(n_starts=4, steps=20, pull_weight=0.0, seed=5))
    held = fit_latent(G, target, 8, z_prev.numpy(), EditSettings(n_starts=4, steps=20, pull_weight=50.0, seed=5))
    dist = lambda r: float(np.linalg.norm(r.z[0] - z_prev.numpy()[0]))  # noqa: E731
    assert dist(held) < 0.5 * dist(free)
