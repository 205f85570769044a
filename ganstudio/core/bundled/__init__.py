"""The models that ship with GAN Studio: catalogue, loader, quality numbers and the recipe that builds them.

A fresh install has no data and no network, yet its Explore and Sketch areas open with models that do
something: three generators trained by GAN Studio's own `Trainer` on data the app carries or paints.

    sketch-landscapes   sketch + colour hints -> 64x64 landscape (U-Net, pix2pix), for the Sketch area
    digits-conditional  class-conditional DCGAN of the bundled handwritten digits (32x32), Explore area
    landscapes-dcgan    unconditional DCGAN of 64x64 procedural landscapes, Explore area

The landscapes come from `ganstudio.core.data.scenes`, written to a temporary folder of PNG files and
read back through the same folder and auto-pairing code (`sketch.image_to_sketch_input`) that users'
own photos go through.

Files: resources/models/NAME.safetensors + NAME.json, installed as the package ganstudio.resources and
found through importlib.resources. Each is a GAN Studio checkpoint stripped for shipping: generator
weights only (the EMA weights when the run kept them, stored as part "G"), in float16, with the run's
config and this module's metadata (title, kind, recipe, measured quality) in the JSON. Any checkpoint
reader of the app (`generator_from_checkpoint`, the explorer, the Sketch area) opens them.

Rebuild every bundled model from scratch (no network; about an hour on a 2-core CPU):

    python -m ganstudio.core.bundled build               # into resources/models/
    python -m ganstudio.core.bundled build --quick --out /tmp/models   # seconds: a smoke test
    python -m ganstudio.core.bundled evaluate            # re-measure the shipped models
    python -m ganstudio.core.bundled sheets --out docs/screenshots   # contact sheets

Modules: `recipes` (how each model is trained and shipped: `RECIPES`, `build`), `quality` (the measures
recorded with each model), `sheets` (contact sheets) and `__main__` (the command line). The catalogue
itself is `ganstudio.core.generators.catalogue`. docs/QUALITY.md records times and numbers.
"""
