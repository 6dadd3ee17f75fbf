"""A local emulator of DashScope's CosyVoice text-to-speech service.

It speaks the duplex ``run-task`` / ``continue-task`` / ``finish-task`` protocol
on ``/api-ws/v1/inference`` and the HTTP ``services/audio/tts/SpeechSynthesizer``
API (one-shot with a download URL, or SSE), streams real, decodable audio and
can inject the failures the real service shows (handshake and HTTP errors,
task-failed, dropped connections, hangs, timeouts, failing audio URLs). It also
emulates voice enrollment (cloned and designed voices, per API key) and the
temporary file upload the SDK uses. It deliberately shares no code with the client
in ``custom_components`` so the two cannot share a wrong assumption.
"""

from .config import EmulatorConfig, Fault
from .enrollment import VoiceRecord
from .records import TaskRecord
from .server import DashScopeEmulator

__all__ = ["DashScopeEmulator", "EmulatorConfig", "Fault", "TaskRecord", "VoiceRecord"]
