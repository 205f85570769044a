"""Each objective and trick as the Trainer applies it, measured inside real training steps.

A Spy hooks a Trainer's networks, data source and optimizers and records, in order, what each of them
sees: the batches drawn, every D and G forward (inputs, outputs), and the weights and gradients at
every optimizer step. The tests recompute the losses the trainer reports, the inputs D gets and the
weight updates from those records with closed forms written out here, not with ganstudio's
objectives or tricks.
"""

from __future__ import annotations

import copy
import math
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from ganstudio.core.config import preset
from ganstudio.core.train.trainer import Trainer

TINY = ["model.g_width=16", "model.d_width=16", "model.z_dim=4", "model.g_depth=2", "model.d_depth=2",
        "optim.batch_size=16", "train.log_every=1", "train.sample_every=0", "train.eval_every=0",
        "train.checkpoint_every=0", "train.n_preview=8", "objective.r1_gamma=0", "tricks.ema=0",
        "optim.lr_decay=none", "train.steps=100"]


def tiny_toy(*extra: str):
    return preset("toy-ring").with_overrides(TINY + list(extra))


def _clone_state(net: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


class Phase:
    """What happened between two optimizer steps: batches, D and G forwards, then the step itself."""

    def __init__(self) -> None:
        self.batches: list[dict] = []
        self.d_calls: list[dict] = []
        self.g_calls: list[dict] = []
        self.before: dict | None = None  # at optimizer.step(): grads, params and both networks' states
        self.after: dict | None = None  # just after optimizer.step() (before any weight clipping)

    @property
    def reals(self) -> list[torch.Tensor]:
        return [b["real"] for b in self.batches]

    def d_call_on(self, x: torch.Tensor) -> dict:
        """The one D forward whose input is exactly x."""
        hits = [c for c in self.d_calls if c["x"].shape == x.shape and torch.equal(c["x"], x)]
        assert len(hits) == 1, f"{len(hits)} D calls on that input"
        return hits[0]


class Round:
    def __init__(self, d_steps: list[Phase], g_step: Phase) -> None:
        self.d_steps, self.g_step = d_steps, g_step


class Spy:
    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.G_template = copy.deepcopy(trainer.G)  # copies made before any hook is attached
        self.D_template = copy.deepcopy(trainer.D)
        self.G_init = _clone_state(trainer.G)
        self.D_init = _clone_state(trainer.D)
        self.rounds: list[Round] = []
        self.scalars: list[dict] = []
        self._d_steps: list[Phase] = []
        self._phase = Phase()
        trainer.D.register_forward_hook(self._on_d, with_kwargs=True)
        trainer.G.register_forward_hook(self._on_g, with_kwargs=True)
        for name, opt, net in (("D", trainer.opt_D, trainer.D), ("G", trainer.opt_G, trainer.G)):
            opt.register_step_pre_hook(partial(self._before_step, net))
            opt.register_step_post_hook(partial(self._after_step, name, net))
        draw = trainer.data.next

        def spied_next(n: int):
            batch = draw(n)
            self._phase.batches.append({"real": batch.real.detach().clone(),
                                        "cond": None if batch.cond is None else batch.cond.detach().clone(),
                                        "label": None if batch.label is None else batch.label.clone()})
            return batch

        trainer.data.next = spied_next
        trainer._report_fn = lambda event: self.scalars.append(event.data) if event.kind == "scalars" else None

    def _on_d(self, module, args, kwargs, output) -> None:
        scores, features = (output if isinstance(output, tuple) else (output, None))
        self._phase.d_calls.append({"x": args[0].detach().clone(), "kwargs": dict(kwargs),
                                    "scores": scores.detach().clone(),
                                    "features": None if features is None else features.detach().clone()})

    def _on_g(self, module, args, kwargs, output) -> None:
        y = args[1] if len(args) > 1 else kwargs.get("y")
        self._phase.g_calls.append({"z": args[0].detach().clone(), "y": None if y is None else y.clone(),
                                    "fake": output.detach().clone()})

    def _before_step(self, net, optimizer, args, kwargs) -> None:
        params = [p for p in net.parameters() if p.requires_grad]
        self._phase.before = {
            "params": [p.detach().clone() for p in params],
            "grads": [p.grad.detach().clone() for p in params],
            "G": _clone_state(self.trainer.G), "D": _clone_state(self.trainer.D),
            "lrs": [g["lr"] for g in optimizer.param_groups],
        }

    def _after_step(self, name, net, optimizer, args, kwargs) -> None:
        self._phase.after = {"params": [p.detach().clone() for p in net.parameters() if p.requires_grad]}
        if name == "D":
            self._d_steps.append(self._phase)
        else:
            self.rounds.append(Round(self._d_steps, self._phase))
            self._d_steps = []
        self._phase = Phase()

    # --- reference copies of the networks ---

    def net(self, which: str, state: dict[str, torch.Tensor]) -> nn.Module:
        net = copy.deepcopy(self.G_template if which == "G" else self.D_template)
        net.load_state_dict(state)
        return net.train()


def fake_of(g_calls: list[dict], x: torch.Tensor) -> dict:
    """The G forward that produced x."""
    hits = [c for c in g_calls if torch.equal(c["fake"], x)]
    assert hits, "no G output matches"
    return hits[0]


def f64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().double()


def assert_close(actual: float, expected: float, what: str = "") -> None:
    assert actual == pytest.approx(expected, rel=2e-5, abs=2e-6), what


def assert_tensors_close(actual, expected, what: str = "", rtol=1e-5, atol=1e-6) -> None:
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        torch.testing.assert_close(a.double(), e.double(), rtol=rtol, atol=atol, msg=lambda m: f"{what} [{i}]: {m}")


# --- the objectives, written out from the papers -----------------------------------------------------

def _log_d(s):  # log D(x) with D = sigmoid(logit)
    return torch.log(torch.sigmoid(s))


def _log_1md(s):  # log(1 - D(x))
    return torch.log(1 - torch.sigmoid(s))


def bce_d(r, f, t):
    return -(t * _log_d(r) + (1 - t) * _log_1md(r)).mean() - _log_1md(f).mean()


D_LOSS = {
    "minimax": bce_d,
    "nonsaturating": bce_d,
    "ml": bce_d,
    "lsgan": lambda r, f, t: 0.5 * ((r - t) ** 2).mean() + 0.5 * (f ** 2).mean(),
    "hinge": lambda r, f, t: torch.relu(1 - r).mean() + torch.relu(1 + f).mean(),
    "wgan": lambda r, f, t: f.mean() - r.mean(),
    "wgan-gp": lambda r, f, t: f.mean() - r.mean(),
}
G_LOSS = {
    "minimax": lambda f: _log_1md(f).mean(),
    "nonsaturating": lambda f: -_log_d(f).mean(),
    "ml": lambda f: -0.5 * torch.exp(f).mean(),  # -1/2 E exp(sigma^-1(D(G(z))))
    "lsgan": lambda f: 0.5 * ((f - 1) ** 2).mean(),
    "hinge": lambda f: -f.mean(),
    "wgan": lambda f: -f.mean(),
    "wgan-gp": lambda f: -f.mean(),
}


def gradient_penalty_reference(D: nn.Module, x_hat: torch.Tensor, weight: float) -> torch.Tensor:
    x = x_hat.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    return weight * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def interpolation_coefficients(x_hat, real, fake) -> torch.Tensor:
    """a with x_hat = a real + (1 - a) fake, per sample; asserts that x_hat lies on those segments."""
    x_hat, real, fake = f64(x_hat).flatten(1), f64(real).flatten(1), f64(fake).flatten(1)
    d = real - fake
    a = ((x_hat - fake) * d).sum(dim=1) / (d * d).sum(dim=1)
    torch.testing.assert_close(x_hat, a[:, None] * real + (1 - a[:, None]) * fake, rtol=1e-5, atol=1e-5)
    return a


OBJECTIVE_CASES = [
    ("minimax", 0.0), ("nonsaturating", 0.0), ("nonsaturating", 0.2), ("ml", 0.0), ("lsgan", 0.0),
    ("lsgan", 0.2), ("hinge", 0.0), ("hinge", 0.2), ("wgan", 0.0), ("wgan-gp", 0.0),
]


@pytest.mark.parametrize("loss,smoothing", OBJECTIVE_CASES)
def test_reported_losses_and_gradients_are_the_closed_form_objective_on_the_scores(loss, smoothing):
    extra = [f"objective.loss={loss}", f"tricks.label_smoothing={smoothing}", "optim.n_critic=2"]
    if loss == "wgan":
        extra += ["optim.optimizer=rmsprop", "objective.clip_value=0.05"]
    if loss == "wgan-gp":
        extra += ["objective.gp_weight=5"]
    trainer = Trainer(tiny_toy(*extra))
    spy = Spy(trainer)
    trainer.run(max_steps=2)
    # Smoothing moves the real target of the probabilistic losses only; scores of critics have none.
    target = 1.0 - smoothing if loss in ("minimax", "nonsaturating", "ml", "lsgan") else 1.0
    for i, rnd in enumerate(spy.rounds):
        reported = spy.scalars[i]
        assert len(rnd.d_steps) == 2
        d_losses, penalties = [], []
        for phase in rnd.d_steps:
            assert len(phase.reals) == 1 and len(phase.g_calls) == 1
            real, fake = phase.reals[0], phase.g_calls[0]["fake"]
            r = f64(phase.d_call_on(real)["scores"])
            f = f64(phase.d_call_on(fake)["scores"])
            d_loss = D_LOSS[loss](r, f, target)
            if smoothing and target != 1.0:  # the test can tell smoothing from none
                assert abs(d_loss - D_LOSS[loss](r, f, 1.0)) > 1e-3
            # The same loss, recomputed with a copy of D, gives the gradient the trainer stepped with.
            D = spy.net("D", phase.before["D"])
            ref_loss = D_LOSS[loss](D(real).double(), D(fake).double(), target)
            if loss == "wgan-gp":
                others = [c for c in phase.d_calls if not (torch.equal(c["x"], real) or torch.equal(c["x"], fake))]
                assert len(others) == 1  # the interpolates
                a = interpolation_coefficients(others[0]["x"], real, fake)
                assert (a >= 0).all() and (a <= 1).all() and a.std() > 0.05  # one U[0, 1] per sample
                gp = gradient_penalty_reference(D, others[0]["x"], 5.0)
                penalties.append(gp.item())
                d_loss = d_loss + gp.double()
                ref_loss = ref_loss + gp
            d_losses.append(d_loss.item())
            grads = torch.autograd.grad(ref_loss, [p for p in D.parameters()])
            assert_tensors_close(phase.before["grads"], grads, f"{loss}: D gradient in round {i}")
            if loss == "wgan":  # every critic weight clipped to [-c, c] after its step
                after = phase.after["params"]
                assert max(p.abs().max().item() for p in after) > 0.05  # so clipping had work to do
                clipped = [p.clamp(-0.05, 0.05) for p in after]
                nxt = (rnd.d_steps + [rnd.g_step])[rnd.d_steps.index(phase) + 1]
                now = [nxt.before["D"][k] for k, _ in spy.D_template.named_parameters()]
                assert_tensors_close(now, clipped, "clipped critic", rtol=0, atol=0)
        assert_close(reported["d_loss"], float(np.mean(d_losses)), f"{loss}: d_loss of round {i}")
        if penalties:
            assert_close(reported["gradient_penalty"], float(np.mean(penalties)), "gradient penalty")
        g_phase = rnd.g_step
        assert len(g_phase.d_calls) == 1
        fake_scores = f64(g_phase.d_calls[0]["scores"])
        assert_close(reported["g_loss"], G_LOSS[loss](fake_scores).item(), f"{loss}: g_loss of round {i}")
        # G's gradient: the generator loss through a copy of D, back into a copy of G.
        source = fake_of([c for p in rnd.d_steps + [g_phase] for c in p.g_calls], g_phase.d_calls[0]["x"])
        G, D = spy.net("G", g_phase.before["G"]), spy.net("D", g_phase.before["D"])
        ref = G_LOSS[loss](D(G(source["z"])).double())
        grads = torch.autograd.grad(ref, list(G.parameters()))
        assert_tensors_close(g_phase.before["grads"], grads, f"{loss}: G gradient in round {i}")


def make_paired_folder(folder: Path, n: int = 4, size: int = 32) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):  # A | B side by side
        Image.fromarray(rng.integers(0, 255, (size, 2 * size, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def test_pix2pix_losses_in_the_trainer_are_the_halved_cgan_loss_and_weighted_l1(tmp_path: Path):
    data = make_paired_folder(tmp_path / "pairs")
    cfg = preset("pix2pix-folder").with_overrides([
        f"data.path={data}", "data.image_size=32", "optim.batch_size=2", "train.n_preview=2",
        "model.g_width=4", "model.d_width=4", "objective.l1_weight=7", "train.log_every=1",
        "train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0", "train.steps=10",
    ])
    trainer = Trainer(cfg)
    spy = Spy(trainer)
    trainer.run(max_steps=2)
    for i, rnd in enumerate(spy.rounds):
        (phase,) = rnd.d_steps
        (batch,) = phase.batches
        fake = phase.g_calls[0]["fake"]
        # D judges (input, output) pairs: the condition's channels, then the real or generated image.
        r = f64(phase.d_call_on(torch.cat([batch["cond"], batch["real"]], dim=1))["scores"])
        f = f64(phase.d_call_on(torch.cat([batch["cond"], fake], dim=1))["scores"])
        assert r.dim() == 4 and r.shape[1] == 1  # PatchGAN maps, averaged over every patch
        assert_close(spy.scalars[i]["d_loss"], 0.5 * bce_d(r, f, 1.0).item(), f"pix2pix d_loss, round {i}")
        (g_call,) = rnd.g_step.d_calls
        assert torch.equal(g_call["x"], torch.cat([batch["cond"], fake], dim=1))
        g_loss = -_log_d(f64(g_call["scores"])).mean() + 7 * (f64(fake) - f64(batch["real"])).abs().mean()
        assert_close(spy.scalars[i]["g_loss"], g_loss.item(), f"pix2pix g_loss, round {i}")
        assert_close(spy.scalars[i]["l1"], (f64(fake) - f64(batch["real"])).abs().mean().item(), "l1")


def test_r1_penalty_in_the_trainer_is_half_gamma_times_the_squared_input_gradient_on_real_data():
    trainer = Trainer(tiny_toy("objective.r1_gamma=3"))
    spy = Spy(trainer)
    trainer.run(max_steps=2)
    for i, rnd in enumerate(spy.rounds):
        (phase,) = rnd.d_steps
        real, fake = phase.reals[0], phase.g_calls[0]["fake"]
        D = spy.net("D", phase.before["D"])
        x = real.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(D(x).sum(), x)
        r1 = 0.5 * 3 * grad.double().pow(2).sum(dim=1).mean().item()  # Mescheder et al. 2018, eq. 9
        assert r1 > 1e-4
        r = f64(phase.d_call_on(real)["scores"])
        f = f64(phase.d_call_on(fake)["scores"])
        assert_close(spy.scalars[i]["r1_penalty"], r1, "r1_penalty")
        assert_close(spy.scalars[i]["d_loss"], bce_d(r, f, 1.0).item() + r1, f"d_loss of round {i}")


def test_class_conditional_training_gives_d_and_g_the_labels_of_the_real_batch():
    cfg = preset("digits-cdcgan").with_overrides([
        "model.g_width=4", "model.d_width=4", "optim.batch_size=8", "train.n_preview=4", "train.log_every=1",
        "train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0", "tricks.ema=0",
    ])
    trainer = Trainer(cfg)
    spy = Spy(trainer)
    trainer.run(max_steps=2)
    for i, rnd in enumerate(spy.rounds):
        (phase,) = rnd.d_steps
        (batch,) = phase.batches
        labels = batch["label"]
        assert labels is not None and len(set(labels.tolist())) > 1
        (g_call,) = phase.g_calls
        assert torch.equal(g_call["y"], labels)  # fakes of the real batch's classes ...
        for x in (batch["real"], g_call["fake"]):  # ... and D told those classes for real and fake alike
            assert torch.equal(phase.d_call_on(x)["kwargs"]["y"], labels)
        (d_call,) = rnd.g_step.d_calls
        assert torch.equal(d_call["kwargs"]["y"], labels)
        r = f64(phase.d_call_on(batch["real"])["scores"])
        f = f64(phase.d_call_on(g_call["fake"])["scores"])
        assert_close(spy.scalars[i]["d_loss"], bce_d(r, f, 1.0).item(), f"d_loss of round {i}")


# --- tricks ------------------------------------------------------------------------------------------

def test_instance_noise_reaches_every_d_input_with_the_annealed_std():
    trainer = Trainer(tiny_toy("tricks.instance_noise=0.5", "tricks.instance_noise_steps=2", "optim.batch_size=256"))
    spy = Spy(trainer)
    trainer.run(max_steps=3)
    for i, rnd in enumerate(spy.rounds):
        std = 0.5 * max(0.0, 1 - i / 2)  # linear from 0.5 to 0 over 2 steps: 0.5, 0.25, 0
        (phase,) = rnd.d_steps
        real, fake = phase.reals[0], phase.g_calls[0]["fake"]
        assert len(phase.d_calls) == 2 and len(rnd.g_step.d_calls) == 1
        # Which of D's two inputs in its step is the real one: the one nearer the real batch.
        a, b = (c["x"] for c in phase.d_calls)
        on_real, on_fake = (a, b) if (a - real).norm() < (b - real).norm() else (b, a)
        noise_real, noise_fake_d = on_real - real, on_fake - fake
        noise_fake_g = rnd.g_step.d_calls[0]["x"] - fake  # G's step scores the same fake batch
        for what, noise in (("real", noise_real), ("fake in D's step", noise_fake_d), ("fake in G's step", noise_fake_g)):
            if std == 0:
                assert torch.equal(noise, torch.zeros_like(noise)), what
                continue
            assert noise.std().item() == pytest.approx(std, rel=0.1), (i, what)
            assert abs(noise.mean().item()) < 4 * std / math.sqrt(noise.numel()), (i, what)
        if std:  # fresh noise for each input
            assert not torch.allclose(noise_fake_d, noise_fake_g)
            assert abs(torch.corrcoef(torch.stack([noise_real.flatten(), noise_fake_d.flatten()]))[0, 1]) < 0.2


def top_singular_values(module: nn.Module) -> list[float]:
    """Exact largest singular value of every linear map's effective weight (SVD, not power iteration)."""
    return [torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2).item()
            for layer in module.modules() if isinstance(layer, nn.Linear)]


def test_spectral_norm_keeps_every_layer_of_the_trained_discriminator_at_unit_norm():
    trainer = Trainer(tiny_toy("tricks.spectral_norm=true"))
    trainer.run(max_steps=4)
    trainer.D.eval()  # read the normalised weights without running another power iteration
    sigmas = top_singular_values(trainer.D)
    assert len(sigmas) == 3  # 2 hidden layers and the head
    assert sigmas == pytest.approx([1.0] * 3, abs=0.03)
    plain = Trainer(tiny_toy())  # without the trick the same layers are far from 1
    plain.run(max_steps=4)
    assert max(abs(s - 1) for s in top_singular_values(plain.D)) > 0.2


def test_feature_matching_adds_the_weighted_mean_feature_distance_to_gs_loss():
    trainer = Trainer(tiny_toy("tricks.feature_matching=2.5"))
    spy = Spy(trainer)
    trainer.run(max_steps=2)
    for i, rnd in enumerate(spy.rounds):
        reals = [r for p in rnd.d_steps + [rnd.g_step] for r in p.reals]
        fakes = [c["fake"] for p in rnd.d_steps + [rnd.g_step] for c in p.g_calls]
        calls = rnd.g_step.d_calls
        on_fake = [c for c in calls if any(torch.equal(c["x"], f) for f in fakes)]
        on_real = [c for c in calls if any(torch.equal(c["x"], r) for r in reals)]
        assert len(on_fake) == 1 and len(on_real) == 1
        assert on_fake[0]["features"] is not None and on_real[0]["features"] is not None
        distance = (f64(on_real[0]["features"]).mean(dim=0) - f64(on_fake[0]["features"]).mean(dim=0)).pow(2).sum()
        assert distance > 1e-2
        expected = -_log_d(f64(on_fake[0]["scores"])).mean() + 2.5 * distance
        assert_close(spy.scalars[i]["g_loss"], expected.item(), f"g_loss of round {i}")


def test_the_ema_generator_is_the_closed_form_average_of_gs_weights():
    trainer = Trainer(tiny_toy("tricks.ema=0.3"))
    spy = Spy(trainer)
    trainer.run(max_steps=6)
    names = [n for n, _ in spy.G_template.named_parameters()]
    average = [f64(spy.G_init[n]) for n in names]
    for k, rnd in enumerate(spy.rounds):
        decay = min(0.3, (1 + k) / (10 + k))  # warm-up: the average follows G closely at first
        average = [decay * a + (1 - decay) * f64(p) for a, p in zip(average, rnd.g_step.after["params"])]
    assert_tensors_close(list(trainer.ema.model.parameters()), average, "EMA weights", rtol=1e-5, atol=1e-6)
    # The generator users sample from is that average.
    reference = spy.net("G", dict(zip(names, [a.float() for a in average])))
    z = torch.randn(5, 4)
    np.testing.assert_allclose(trainer.generate(z=z), reference(z).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(trainer.generate(z=z), trainer.G(z).detach().numpy(), atol=1e-4)


def test_historical_averaging_penalises_both_players_distance_to_their_past_mean():
    weight = 0.5
    trainer = Trainer(tiny_toy(f"tricks.historical_averaging={weight}", "optim.lr_g=1e-2", "optim.lr_d=1e-2"))
    spy = Spy(trainer)
    trainer.run(max_steps=4)
    past = {"D": [], "G": []}  # the parameters after each completed optimizer step
    penalties = {"D": [], "G": []}

    def penalty(current, history):
        if not history:
            return 0.0
        means = [torch.stack(ps).mean(dim=0) for ps in zip(*history)]
        return sum(((f64(p) - m) ** 2).sum() for p, m in zip(current, means)).item()

    for i, rnd in enumerate(spy.rounds):
        (phase,) = rnd.d_steps
        r = f64(phase.d_call_on(phase.reals[0])["scores"])
        f = f64(phase.d_call_on(phase.g_calls[0]["fake"])["scores"])
        penalties["D"].append(penalty(phase.before["params"], past["D"]))
        assert_close(spy.scalars[i]["d_loss"], bce_d(r, f, 1.0).item() + weight * penalties["D"][-1], f"d_loss {i}")
        past["D"].append([f64(p) for p in phase.after["params"]])
        penalties["G"].append(penalty(rnd.g_step.before["params"], past["G"]))
        g = -_log_d(f64(rnd.g_step.d_calls[0]["scores"])).mean().item()
        assert_close(spy.scalars[i]["g_loss"], g + weight * penalties["G"][-1], f"g_loss {i}")
        past["G"].append([f64(p) for p in rnd.g_step.after["params"]])
    assert min(penalties["D"][2:] + penalties["G"][2:]) > 1e-3  # the test sees the penalty


def _head_inputs(trainer: Trainer) -> list[dict]:
    """Hidden features and the head's input at every D forward (MLP discriminator)."""
    seen: list[dict] = []
    trainer.D.body.register_forward_hook(lambda m, a, out: seen.append({"features": out.detach().clone()}))
    trainer.D.head.register_forward_pre_hook(lambda m, a: seen[-1].update(head_in=a[0].detach().clone()))
    if trainer.D.mbd is not None:
        trainer.D.mbd.register_forward_pre_hook(lambda m, a: seen[-1].update(T=m.T.detach().clone()))
    return seen


def test_minibatch_stddev_appends_the_group_standard_deviation_to_ds_features():
    trainer = Trainer(tiny_toy("tricks.minibatch_stddev=true"))
    seen = _head_inputs(trainer)
    trainer.run(max_steps=2)
    assert len(seen) == 6  # real, fake, fake for G: two rounds
    for rec in seen:
        h = rec["features"].double().numpy()
        n = h.shape[0]  # 16 samples, groups of 4: sample i is in group i mod 4
        expected = np.empty(n)
        for i in range(n):
            members = h[i % (n // 4)::n // 4]
            expected[i] = np.sqrt(((members - members.mean(axis=0)) ** 2).mean(axis=0) + 1e-8).mean()
        np.testing.assert_allclose(rec["head_in"][:, :-1].numpy(), h, rtol=1e-6)
        np.testing.assert_allclose(rec["head_in"][:, -1].double().numpy(), expected, rtol=1e-5, atol=1e-7)


def test_minibatch_discrimination_appends_closeness_to_the_rest_of_the_batch():
    trainer = Trainer(tiny_toy("tricks.minibatch_disc=3"))
    seen = _head_inputs(trainer)
    trainer.run(max_steps=2)
    assert len(seen) == 6
    for rec in seen:
        h, T = rec["features"].double(), rec["T"].double()  # T: (A, B, C)
        m = torch.einsum("na,abc->nbc", h, T)
        closeness = torch.zeros(h.shape[0], T.shape[1], dtype=torch.float64)
        for i in range(h.shape[0]):
            for j in range(h.shape[0]):
                if i != j:
                    closeness[i] += torch.exp(-(m[i] - m[j]).abs().sum(dim=1))
        torch.testing.assert_close(rec["head_in"][:, : h.shape[1]].double(), h)
        torch.testing.assert_close(rec["head_in"][:, h.shape[1]:].double(), closeness, rtol=1e-5, atol=1e-6)


def test_pacgan_packs_consecutive_samples_for_every_d_input():
    trainer = Trainer(tiny_toy("tricks.pack=2"))
    spy = Spy(trainer)
    trainer.run(max_steps=2)

    def packed(x):  # pack i = samples 2i and 2i+1 side by side
        return torch.cat([x[0::2], x[1::2]], dim=1)

    for i, rnd in enumerate(spy.rounds):
        (phase,) = rnd.d_steps
        real, fake = phase.reals[0], phase.g_calls[0]["fake"]
        assert real.shape == (16, 2)
        r = phase.d_call_on(packed(real))["scores"]
        f = phase.d_call_on(packed(fake))["scores"]
        assert r.shape == f.shape == (8,)
        assert_close(spy.scalars[i]["d_loss"], bce_d(f64(r), f64(f), 1.0).item(), f"d_loss {i}")
        (g_call,) = rnd.g_step.d_calls
        assert torch.equal(g_call["x"], packed(fake))
        assert_close(spy.scalars[i]["g_loss"], -_log_d(f64(g_call["scores"])).mean().item(), f"g_loss {i}")


def test_n_critic_sets_the_d_steps_per_g_step_and_set_n_critic_changes_it_while_running():
    trainer = Trainer(tiny_toy("optim.n_critic=2"))
    spy = Spy(trainer)

    def after_step(t: Trainer) -> None:
        if t.step_count == 2:
            t.set_n_critic(3)
        if t.step_count == 4:
            t.set_n_critic(1)

    trainer.run(max_steps=5, on_step=after_step)
    assert [len(r.d_steps) for r in spy.rounds] == [2, 2, 3, 3, 1]
    for i, rnd in enumerate(spy.rounds):
        for phase in rnd.d_steps:  # each critic step: a fresh batch, D on real and on fake, one update
            assert len(phase.batches) == 1 and len(phase.d_calls) == 2 and phase.after is not None
        reals = [p.reals[0] for p in rnd.d_steps]
        assert all(not torch.equal(a, b) for k, a in enumerate(reals) for b in reals[k + 1:])
        assert len(rnd.g_step.d_calls) == 1
        expected = np.mean([bce_d(f64(p.d_call_on(p.reals[0])["scores"]),
                                  f64(p.d_call_on(p.g_calls[0]["fake"])["scores"]), 1.0).item() for p in rnd.d_steps])
        assert_close(spy.scalars[i]["d_loss"], expected, f"d_loss of round {i}: the mean over its critic steps")
    assert trainer.checkpoint().meta["n_critic"] == 1


def test_sgd_updates_use_each_players_learning_rate_and_live_changes_reach_them():
    trainer = Trainer(tiny_toy("optim.optimizer=sgd", "optim.beta1=0", "optim.lr_g=0.01", "optim.lr_d=0.003"))
    spy = Spy(trainer)
    trainer.run(max_steps=4, on_step=lambda t: t.set_learning_rates(g=0.02, d=0.001) if t.step_count == 2 else None)
    for i, rnd in enumerate(spy.rounds):
        lr_g, lr_d = (0.01, 0.003) if i < 2 else (0.02, 0.001)
        for lr, phase in ((lr_d, rnd.d_steps[0]), (lr_g, rnd.g_step)):
            expected = [p - lr * g for p, g in zip(phase.before["params"], phase.before["grads"])]
            assert_tensors_close(phase.after["params"], expected, f"SGD step of round {i}", rtol=1e-6, atol=1e-7)
        assert (spy.scalars[i]["lr_g"], spy.scalars[i]["lr_d"]) == pytest.approx((lr_g, lr_d))


def test_adam_updates_use_the_configured_rates_and_betas():
    lr = {"G": 1e-3, "D": 3e-4}
    beta1, beta2 = 0.3, 0.9
    trainer = Trainer(tiny_toy(f"optim.lr_g={lr['G']}", f"optim.lr_d={lr['D']}", f"optim.beta1={beta1}",
                               f"optim.beta2={beta2}"))
    spy = Spy(trainer)
    trainer.run(max_steps=3)
    for who in ("D", "G"):
        phases = [r.d_steps[0] if who == "D" else r.g_step for r in spy.rounds]
        m = [torch.zeros_like(f64(p)) for p in phases[0].before["params"]]
        v = [torch.zeros_like(mi) for mi in m]
        for t, phase in enumerate(phases, start=1):  # Kingma & Ba 2015, Algorithm 1 (eps = 1e-8)
            expected = []
            for k, (p, g) in enumerate(zip(phase.before["params"], phase.before["grads"])):
                g = f64(g)
                m[k] = beta1 * m[k] + (1 - beta1) * g
                v[k] = beta2 * v[k] + (1 - beta2) * g * g
                m_hat, v_hat = m[k] / (1 - beta1 ** t), v[k] / (1 - beta2 ** t)
                expected.append(f64(p) - lr[who] * m_hat / (v_hat.sqrt() + 1e-8))
            assert_tensors_close(phase.after["params"], expected, f"Adam step {t} of {who}", rtol=1e-5, atol=1e-7)


def test_linear_lr_decay_halves_the_rates_in_the_second_half_of_the_run():
    trainer = Trainer(tiny_toy("optim.optimizer=sgd", "optim.beta1=0", "optim.lr_g=0.01", "optim.lr_d=0.004",
                               "optim.lr_decay=linear", "train.steps=4"))
    spy = Spy(trainer)
    trainer.run()
    for i, factor in enumerate([1.0, 1.0, 1.0, 0.5]):  # steps 0-1 first half; then linearly to 0 at step 4
        for lr, phase in ((0.004, spy.rounds[i].d_steps[0]), (0.01, spy.rounds[i].g_step)):
            expected = [p - lr * factor * g for p, g in zip(phase.before["params"], phase.before["grads"])]
            assert_tensors_close(phase.after["params"], expected, f"step {i}", rtol=1e-6, atol=1e-7)


def test_gradient_clipping_rescales_both_players_gradients_to_the_bound():
    clip = 1e-3
    trainer = Trainer(tiny_toy(f"tricks.grad_clip={clip}"))
    spy = Spy(trainer)
    trainer.run(max_steps=2)

    def total_norm(grads):
        return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(f64(g)) for g in grads])).item()

    for i, rnd in enumerate(spy.rounds):
        (phase,) = rnd.d_steps
        real, fake = phase.reals[0], phase.g_calls[0]["fake"]
        D = spy.net("D", phase.before["D"])
        raw = torch.autograd.grad(bce_d(D(real).double(), D(fake).double(), 1.0), list(D.parameters()))
        raw_norm = total_norm(raw)
        assert raw_norm > 10 * clip  # so the bound is active
        assert total_norm(phase.before["grads"]) == pytest.approx(clip, rel=1e-3)
        assert_tensors_close(phase.before["grads"], [g * clip / raw_norm for g in raw], "clipped D gradient",
                             rtol=1e-3, atol=1e-9)
        assert total_norm(rnd.g_step.before["grads"]) == pytest.approx(clip, rel=1e-3)


# --- unrolled GAN ------------------------------------------------------------------------------------

def unrolled_generator_gradient(spy: Spy, rnd: Round, k: int, lr: float) -> list[torch.Tensor]:
    """G's gradient through k differentiable SGD steps of D (Metz et al. 2017), recomputed from scratch.

    Uses the round's own data: the batches and latents the trainer drew for its look-ahead, and the
    generated batch it finally scored. The look-ahead losses are the plain BCE discriminator loss.
    """
    g_phase = rnd.g_step
    G, D = spy.net("G", g_phase.before["G"]), spy.net("D", g_phase.before["D"])
    g_calls = [c for p in rnd.d_steps + [g_phase] for c in p.g_calls]
    final = g_phase.d_calls[-1]
    main = fake_of(g_calls, final["x"])
    look_ahead = g_phase.d_calls[:-1]
    assert len(g_phase.batches) == k and len(look_ahead) == 2 * k
    on_real = [c for c in look_ahead if any(torch.equal(c["x"], r) for r in g_phase.reals)]
    on_fake = [c for c in look_ahead if all(c is not r for r in on_real)]
    assert len(on_real) == len(on_fake) == k
    params = dict(D.named_parameters())
    for j in range(k):
        assert torch.equal(on_real[j]["x"], g_phase.reals[j])
        fake = G(fake_of(g_calls, on_fake[j]["x"])["z"])  # differentiable in G's weights
        loss = bce_d(torch.func.functional_call(D, params, (g_phase.reals[j],)).double(),
                     torch.func.functional_call(D, params, (fake,)).double(), 1.0)
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        params = {name: p - lr * g for (name, p), g in zip(params.items(), grads)}
    scores = torch.func.functional_call(D, params, (G(main["z"]),)).double()
    return list(torch.autograd.grad(-_log_d(scores).mean(), list(G.parameters())))


@pytest.mark.parametrize("k", [0, 1, 3])
def test_unrolled_generator_gradient_goes_through_k_differentiable_d_steps(k):
    lr_d = 0.1  # large, so that the look-ahead changes the gradient a lot
    trainer = Trainer(tiny_toy(f"tricks.unrolled_steps={k}", f"optim.lr_d={lr_d}", "model.g_width=8",
                               "model.d_width=8", "optim.batch_size=8"))
    spy = Spy(trainer)
    trainer.run(max_steps=2)
    for i, rnd in enumerate(spy.rounds):
        actual = rnd.g_step.before["grads"]
        assert_tensors_close(actual, unrolled_generator_gradient(spy, rnd, k, lr_d), f"G gradient, round {i}",
                             rtol=1e-4, atol=1e-7)
        # D's own weights are not moved by the look-ahead: G's step starts from D's last real update.
        assert all(torch.equal(rnd.d_steps[-1].after["params"][j], rnd.g_step.before["D"][name])
                   for j, (name, _) in enumerate(spy.D_template.named_parameters()))
        if k:  # the look-ahead matters: the plain gradient at the same fakes differs
            plain = unrolled_generator_gradient(spy, Round(rnd.d_steps, _without_look_ahead(rnd.g_step)), 0, lr_d)
            difference = max((a - p).abs().max().item() for a, p in zip(actual, plain))
            assert difference > 1e-2 * max(a.abs().max().item() for a in actual)


def _without_look_ahead(phase: Phase) -> Phase:
    only_final = Phase()
    only_final.before, only_final.after = phase.before, phase.after
    only_final.g_calls = phase.g_calls
    only_final.d_calls = phase.d_calls[-1:]
    return only_final
