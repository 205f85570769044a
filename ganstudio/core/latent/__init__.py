"""The Explore feature without Qt: latent sampling, truncation, interpolation and arithmetic (`space`),
GANSpace principal directions (`directions`) and bookmarks that reproduce the screen (`bookmarks`).
Generators are opened through `ganstudio.core.generators`."""
