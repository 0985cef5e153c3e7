"""Driver test fixtures (defined in simkit so test modules can import its helpers)."""

from simkit import collector, finger_256, fp_emulator

__all__ = ["collector", "finger_256", "fp_emulator"]
