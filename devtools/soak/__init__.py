"""A week of a real home in an afternoon: the soak and fault test (``scripts/soak``).

A real ``hass`` process with the integration, the emulator with faults on a schedule,
and a driver over Home Assistant's REST and WebSocket APIs; the figures go to
``bench/soak.json``. Modules: :mod:`.home` sets the home up, :mod:`.calls` makes the
calls a home makes, :mod:`.schedule` injects the faults, :mod:`.watch` samples memory,
sockets and the log, :mod:`.report` turns it all into figures.
"""
