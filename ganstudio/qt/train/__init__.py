"""The Train area's Qt objects: `run_control.RunControl` owns the app's training run."""
