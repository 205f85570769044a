"""GAN Studio: a desktop studio for generative adversarial networks."""

__version__ = "0.1.0"
