"""The Sketch feature without Qt: the input encoding shared by canvas and training pairs (`encoding`),
brush sizes (`sizes`, importable without PyTorch), sketch documents (`document`) and the iGAN-style latent
fit for unconditional generators (`fit_latent`). Kept light: importing the package loads no PyTorch."""
