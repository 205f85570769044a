"""The Monitor area: `monitor.TrainingMonitor` (curves, samples, the metric table) and the 2-D view of toy runs (`toy_view`)."""
