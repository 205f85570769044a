"""The text of Help > GAN Studio help: what each area does, in a few sentences each."""

HELP_HTML = """
<h2>GAN Studio</h2>
<p>Train generative adversarial networks and watch them learn. The six areas are on the left
(Ctrl+1 to Ctrl+6).</p>
<h3>Train</h3>
<p>Pick a data set (2-D toys train in seconds; digits in minutes; or a folder of your own pictures), a
<b>preset</b> (a recipe known to work), the <b>loss</b>, optional <b>tricks</b> and hyperparameters — every
field has a tooltip saying what it does and when to use it. <b>Start</b> trains in the background;
<b>Pause</b> and <b>Stop</b> act between two steps; Stop saves a checkpoint in the run folder. Learning rates
and D steps per G step (marked ⟳) can be changed while training. <b>Resume from checkpoint</b> continues an
earlier run.</p>
<h3>Monitor</h3>
<p>Live curves: losses, Wasserstein estimates (the critic gap for WGAN critics, sliced Wasserstein for every
run), D(x) and D(G(z)), gradient norms and learning rates. The <b>smoothing</b> slider works as in
TensorBoard (raw values faint, smoothed bold), weighted by the spacing of the logged steps where it is uneven;
the <b>Step</b> slider sets one step for every plot (a dashed line) and every sample shown, and
<b>Compare</b> shows the ticked runs' samples side by side at that step; <b>Log y</b>, wall-time x axis, a crosshair readout, and
export to CSV and PNG. <b>Open…</b> adds a run folder written by <code>ganstudio train</code>, even while
it trains; <b>Browse runs…</b> (File menu, Ctrl+Shift+B) lists a folder of runs with their state, config, steps,
best metric and dates, sortable by any column, and opens the ones you pick; each run gets its own colour. On the right: the samples of a fixed latent batch (scrub the
history with the slider) or, for 2-D data, a GAN Lab view: real points (green), generated points (purple),
the discriminator as a heat map and arrows showing where the generator's loss pushes its samples.</p>
<h3>Explore</h3>
<p>Open a generator (a bundled model, a checkpoint from the app or <code>ganstudio train</code>, or a
pytorch/examples <code>netG_epoch_N.pth</code>). The <b>grid</b> shows 16 samples of one seed (Reseed, seed box,
class and truncation above it); click one to see it large. <b>Directions</b> are principal directions of the
generator's early activations (GANSpace), as sliders of ±3 standard deviations, plus raw z sliders.
<b>+ Keyframe</b> builds an interpolation (slerp or lerp) that plays below and exports as PNG strip or GIF.
<b>+A / −B / +C</b> collect samples for vector arithmetic A − B + C. <b>Bookmarks</b> save latents as JSON
that <code>ganstudio sample CHECKPOINT --latent FILE.json</code> reproduces exactly.</p>
<h3>Sketch</h3>
<p>Draw lines with the <b>pen</b>, drop <b>colour</b> hints with the brush (palette, colour picker, or the
eyedropper on the output), erase with the <b>eraser</b>; the wheel changes the brush size, Ctrl+Z / Ctrl+Shift+Z
undo and redo every stroke. The picture on the right follows as you draw. <b>Variants</b> below show other
noise draws; lock the one you like. Open, drop or paste (Ctrl+V) a photo to start from its lines and
colours; open a pix2pix checkpoint (yours or a pytorch-CycleGAN-and-pix2pix <code>.pth</code>). With an
unconditional generator (the bundled landscape DCGAN, marked <i>latent fit</i>), <b>Fit</b> searches its
latent space for a picture matching your strokes (iGAN). The brush size is in screen pixels; the circle
under the cursor shows it. Sketches
autosave and are offered back after a crash.</p>
<h3>Translate</h3>
<p>Open a CycleGAN checkpoint (a run folder of an unpaired run, e.g. the <code>cyclegan-scenes</code> preset)
and a photo (or drop one): input and output show side by side. Choose <b>A → B</b> or <b>B → A</b>;
<b>Swap</b> makes the output the input and turns the direction round; <b>Export…</b> saves the output.</p>
<h3>Lab</h3>
<p>The lectures' small experiments, one tab each, explained on screen: distances between parallel lines (KL,
JS, TV, W1 against θ, with instance noise), the optimal discriminator of two 1-D mixtures, the generator costs,
the xy game, a Cournot duopoly, mode collapse on the ring of 8 Gaussians and low-dimensional supports. The
closed forms redraw as you drag; <b>Train</b> runs the parts learned from samples in the background (Pause,
Stop). <code>ganstudio lab NAME --json OUT.json --png OUT.png</code> writes the same numbers and figure.</p>
<h3>Between sessions</h3>
<p>Closing the app keeps the run folders open in the Monitor, the Train form, what Explore showed (model, seed,
class, truncation, selection, direction offsets) and the sketch with its model; the next start brings them
back, and the status bar names anything that moved. <b>Edit ▸ Preferences</b> sets the runs folder, CPU threads,
the device and the default export size. Edit ▸ Undo / Redo act on the sketch; Copy picture copies the Sketch
output or the selected Explore sample.</p>
<h3>Headless</h3>
<p><code>ganstudio train toy-ring</code> trains the same way without a window; its run folder can be
opened in the Monitor.</p>
"""
