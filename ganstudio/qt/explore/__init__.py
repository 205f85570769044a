"""The Explore area: `area.ExplorerArea` (latent grid, selection, principal directions, interpolation, arithmetic, bookmarks)."""
