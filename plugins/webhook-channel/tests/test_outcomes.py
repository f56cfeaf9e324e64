"""What each status comes to, and the HTTP client's timeout within the dispatcher's."""

from __future__ import annotations

import pytest
from stageborging.exceptions import DeliveryFailed

from stageborging_webhook.channel import request_timeout
from stageborging_webhook.outcomes import check_status


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_a_2xx_is_delivered(status: int) -> None:
    check_status(status)


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (301, "http.redirect", True),
        (302, "http.redirect", True),
        (304, "http.redirect", True),
        (307, "http.redirect", True),
        (308, "http.redirect", True),
        (408, "http.408", False),
        (429, "http.429", False),
        (500, "http.500", False),
        (502, "http.502", False),
        (503, "http.503", False),
        (504, "http.504", False),
        (599, "http.599", False),
        (400, "http.400", True),
        (401, "http.401", True),
        (403, "http.403", True),
        (404, "http.404", True),
        (409, "http.409", True),
        (410, "http.410", True),
        (413, "http.413", True),
        (422, "http.422", True),
        (101, "http.101", True),
        (600, "http.600", True),
    ],
)
def test_any_other_status_is_a_failure_with_its_code(
    status: int, code: str, permanent: bool
) -> None:
    with pytest.raises(DeliveryFailed) as caught:
        check_status(status)
    assert (caught.value.code, caught.value.permanent) == (code, permanent)


@pytest.mark.parametrize(("timeout", "expected"), [(1, 0.8), (5, 4), (10, 8), (30, 28)])
def test_the_client_gives_up_before_the_dispatcher(timeout: float, expected: float) -> None:
    assert request_timeout(timeout) == pytest.approx(expected)
