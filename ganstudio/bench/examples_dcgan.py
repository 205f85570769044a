"""Our own re-creation of pytorch/examples `dcgan/main.py` (the program users run instead of GAN Studio),
so `ganstudio bench` can time it against `ganstudio train` on the same image folder, in the same process.

What it keeps from that program (read from github.com/pytorch/examples, dcgan/main.py; the code here is
ours):
- data: torchvision `ImageFolder` with Resize(imageSize), CenterCrop(imageSize), ToTensor(),
  Normalize((0.5,)*3, (0.5,)*3); `DataLoader(batch_size=64, shuffle=True, num_workers=2)` (its default
  `--workers 2`, no persistent workers: the worker processes start again every epoch);
- models: the same nn.Sequential layer lists (`main.0` ... `main.N`, so state dicts swap with GAN Studio's
  DCGAN), the discriminator ending in nn.Sigmoid, `weights_init` N(0, 0.02) / BatchNorm N(1, 0.02);
- loss and optimizers: nn.BCELoss; Adam(lr 2e-4, betas (0.5, 0.999)) for both players;
- the update order: D.zero_grad; D(real) -> BCE(1) -> backward; G(noise) -> D(fake.detach()) -> BCE(0) ->
  backward; D step; G.zero_grad; D(fake) -> BCE(1) -> backward (D is not frozen: its weight gradients are
  computed and thrown away by the next D.zero_grad); G step;
- the per-iteration bookkeeping: five `.item()` reads (errD, errG, D(x), D(G(z)) twice) and one formatted
  line per iteration; every 100 iterations of an epoch (`i % 100 == 0`) the real batch and
  G(fixed_noise) are written as PNG grids (torchvision.utils.save_image, normalize=True); at the end of
  each epoch both state dicts are written with torch.save.

`freeze_d=True` is not in the original: it only exists so a test can show that, with D's weight
gradients skipped in the G phase as GAN Studio does, both programs count the same FLOPs per iteration.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
import torch.nn as nn


def weights_init(m: nn.Module) -> None:
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class ExamplesGenerator(nn.Module):
    """main.py's netG for 64-pixel images: (N, nz, 1, 1) -> (N, nc, 64, 64)."""

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3):
        super().__init__()
        chans = [ngf * 8, ngf * 4, ngf * 2, ngf]
        layers: list[nn.Module] = [nn.ConvTranspose2d(nz, chans[0], 4, 1, 0, bias=False), nn.BatchNorm2d(chans[0]),
                                   nn.ReLU(True)]
        for a, b in zip(chans, chans[1:]):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


class ExamplesDiscriminator(nn.Module):
    """main.py's netD for 64-pixel images: (N, nc, 64, 64) -> probabilities (N,)."""

    def __init__(self, ndf: int = 64, nc: int = 3):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
        for a, b in ((ndf, ndf * 2), (ndf * 2, ndf * 4), (ndf * 4, ndf * 8)):
            layers += [nn.Conv2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.LeakyReLU(0.2, inplace=True)]
        layers += [nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1, 1).squeeze(1)


def make_loader(dataroot: str | Path, image_size: int = 64, batch_size: int = 64, workers: int = 2):
    import torchvision.datasets as dset
    import torchvision.transforms as transforms

    dataset = dset.ImageFolder(root=str(dataroot), transform=transforms.Compose([
        transforms.Resize(image_size),
        transforms.CenterCrop(image_size),
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    ]))
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=int(workers))


@dataclass
class ExamplesDCGAN:
    """One run of the re-created program. `iterate()` yields after every iteration (for timing)."""

    dataroot: str | Path
    outf: str | Path
    seed: int = 0
    batch_size: int = 64
    nz: int = 100
    ngf: int = 64
    ndf: int = 64
    workers: int = 2
    device: str = "cpu"
    freeze_d: bool = False  # not in main.py: see the module docstring
    log: Callable[[str], None] = lambda line: None  # main.py prints; the bench formats the line and drops it
    losses: list[tuple[float, float]] = field(default_factory=list)  # (errD, errG) of every iteration

    def __post_init__(self) -> None:
        torch.manual_seed(self.seed)
        self.dev = torch.device(self.device)
        self.outf = Path(self.outf)
        self.outf.mkdir(parents=True, exist_ok=True)
        self.dataloader = make_loader(self.dataroot, 64, self.batch_size, self.workers)
        self.netG = ExamplesGenerator(self.nz, self.ngf).to(self.dev)
        self.netG.apply(weights_init)
        self.netD = ExamplesDiscriminator(self.ndf).to(self.dev)
        self.netD.apply(weights_init)
        self.criterion = nn.BCELoss()
        self.fixed_noise = torch.randn(self.batch_size, self.nz, 1, 1, device=self.dev)
        self.optimizerD = torch.optim.Adam(self.netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.optimizerG = torch.optim.Adam(self.netG.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def train_iteration(self, real_cpu: torch.Tensor, noise: torch.Tensor | None = None) -> dict[str, float]:
        """One iteration of main.py's inner loop on one batch; noise drawn as it does unless given."""
        netD, netG, criterion = self.netD, self.netG, self.criterion
        netD.zero_grad()
        real_cpu = real_cpu.to(self.dev)
        batch_size = real_cpu.size(0)
        label = torch.full((batch_size,), 1, dtype=real_cpu.dtype, device=self.dev)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()

        if noise is None:
            noise = torch.randn(batch_size, self.nz, 1, 1, device=self.dev)
        fake = netG(noise)
        label.fill_(0)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        self.optimizerD.step()

        netG.zero_grad()
        label.fill_(1)
        if self.freeze_d:
            netD.requires_grad_(False)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        if self.freeze_d:
            netD.requires_grad_(True)
        D_G_z2 = output.mean().item()
        self.optimizerG.step()
        return {"errD": errD.item(), "errG": errG.item(), "D_x": D_x, "D_G_z1": D_G_z1, "D_G_z2": D_G_z2}

    def iterate(self, niter: int = 25):
        """main.py's epoch loop; yields (epoch, i) after each iteration."""
        import torchvision.utils as vutils

        for epoch in range(niter):
            for i, data in enumerate(self.dataloader, 0):
                real_cpu = data[0].to(self.dev)
                r = self.train_iteration(real_cpu)
                self.losses.append((r["errD"], r["errG"]))
                self.log("[%d/%d][%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f"
                         % (epoch, niter, i, len(self.dataloader), r["errD"], r["errG"], r["D_x"], r["D_G_z1"],
                            r["D_G_z2"]))
                if i % 100 == 0:
                    vutils.save_image(real_cpu, self.outf / "real_samples.png", normalize=True)
                    fake = self.netG(self.fixed_noise)
                    vutils.save_image(fake.detach(), self.outf / f"fake_samples_epoch_{epoch:03d}.png", normalize=True)
                yield epoch, i
            torch.save(self.netG.state_dict(), self.outf / f"netG_epoch_{epoch}.pth")
            torch.save(self.netD.state_dict(), self.outf / f"netD_epoch_{epoch}.pth")


def iterations_per_second(run: ExamplesDCGAN, steps: int, warmup: int = 1) -> float:
    """Iterations/s of the re-created program over `steps` iterations after `warmup` (which includes the
    workers' start and the i == 0 grid)."""
    it = run.iterate(niter=10**6)
    for _ in range(warmup):
        next(it)
    t0 = time.perf_counter()
    for _ in range(steps):
        next(it)
    if run.dev.type == "cuda":
        torch.cuda.synchronize(run.dev)
    elapsed = time.perf_counter() - t0
    it.close()
    return steps / elapsed
