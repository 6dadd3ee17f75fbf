"""Tests for the CosyVoice integration, its client and the DashScope emulator."""
