"""Region presets and custom endpoints."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import Endpoint, InvalidOptionError


def test_region_presets() -> None:
    cn = Endpoint.for_region("cn")
    assert cn.ws_url == "wss://dashscope.aliyuncs.com/api-ws/v1/inference"
    assert cn.http_url == "https://dashscope.aliyuncs.com/api/v1"
    assert cn.host == "dashscope.aliyuncs.com"
    intl = Endpoint.for_region("intl", "ws-1")
    assert intl.ws_url == "wss://dashscope-intl.aliyuncs.com/api-ws/v1/inference"
    assert intl.http_url is None
    assert intl.workspace_id == "ws-1"
    assert Endpoint.for_region("cn", "").workspace_id is None


def test_unknown_region() -> None:
    with pytest.raises(InvalidOptionError) as caught:
        Endpoint.for_region("mars")
    assert caught.value.option == "region"


def test_custom_endpoint() -> None:
    endpoint = Endpoint.custom(
        "ws://127.0.0.1:1/api-ws/v1/inference", "http://127.0.0.1:2/api/v1"
    )
    assert endpoint.region == "custom"
    assert endpoint.host == "127.0.0.1:1"
    assert Endpoint.custom("wss://proxy.example/x").http_url is None


@pytest.mark.parametrize(
    ("ws_url", "http_url", "option"),
    [
        ("http://host/x", None, "ws_url"),
        ("ws://", None, "ws_url"),
        ("wss://host/x", "ftp://host", "http_url"),
    ],
)
def test_custom_endpoint_rejects_bad_urls(
    ws_url: str, http_url: str | None, option: str
) -> None:
    with pytest.raises(InvalidOptionError) as caught:
        Endpoint.custom(ws_url, http_url)
    assert caught.value.option == option
