"""The Explore area: `area.ExplorerArea` (the shell) and one panel per concern (`model_bar`, `samples`,
`selection`, `directions`, `interpolation`, `arithmetic`, `bookmarks`), all showing one
`ganstudio.core.latent.explore_state.ExploreState`."""
