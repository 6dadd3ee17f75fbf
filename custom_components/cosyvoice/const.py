"""Constants of the CosyVoice integration."""

from typing import Final

DOMAIN: Final = "cosyvoice"
