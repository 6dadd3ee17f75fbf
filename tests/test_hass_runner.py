"""The REST helpers of ``devtools/hass_runner.py`` fill forms in as the frontend does."""

from __future__ import annotations

from devtools.hass_runner import suggested


def test_suggested_leaves_a_field_suggested_as_none_empty() -> None:
    """The frontend sends no value for a field suggested as null (seed, language).

    Sending ``None`` made a profile's form refuse itself ("expected str"), so
    ``scripts/develop`` stopped on a fresh start when it set the fallback.
    """
    form = {
        "data_schema": [
            {"name": "model", "description": {"suggested_value": "cosyvoice-v3-flash"}},
            {"name": "seed", "description": {"suggested_value": None}},
            {"name": "language_hints", "description": {"suggested_value": None}},
            {"name": "volume", "description": {"suggested_value": 0}},
            {"name": "instruction", "description": {"suggested_value": ""}},
            {"name": "route"},
        ]
    }
    assert suggested(form) == {
        "model": "cosyvoice-v3-flash",
        "volume": 0,
        "instruction": "",
    }
