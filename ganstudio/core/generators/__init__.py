"""Opening and rendering generators: the one handle (`handle.open_generator` -> `handle.Generator`), the
one catalogue of bundled models (`catalogue`) and the one list of file formats (`formats`). Used by the
Sketch and Explore areas, `ganstudio sample` and `ganstudio translate`; never imports the trainer.

Kept light (no PyTorch on import): import the submodules."""
