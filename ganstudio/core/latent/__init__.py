"""The Explore feature without Qt: latent sampling, truncation, interpolation and arithmetic (`space`),
GANSpace principal directions (`directions`), bookmarks that reproduce the screen (`bookmarks`) and the
evented state of the Explore area that uses them (`explore_state`). Generators are opened through
`ganstudio.core.generators`."""
