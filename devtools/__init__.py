"""Development tools for the CosyVoice integration (never shipped with it)."""
