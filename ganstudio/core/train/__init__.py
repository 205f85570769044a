"""Training: the one loop (`trainer.Trainer`, with its parts in `batches`, `step`, `checkpointing` and
`reporting`), objectives and penalties, tricks, metrics, distributed runs and the run folder's metrics
log. Nothing outside training needs this package to open a generator."""
