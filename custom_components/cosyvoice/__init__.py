"""CosyVoice (Alibaba Cloud DashScope) text-to-speech for Home Assistant.

The HA-free client lives in the ``api`` subpackage.
"""
