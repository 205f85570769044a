"""The engine of GAN Studio. Nothing under ganstudio.core may import Qt (checked by tests)."""
