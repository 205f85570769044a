"""The Sketch area: `area.SketchArea`, the drawing surface (`canvas`) and the output view (`output_view`)."""
