"""``dinamis stats`` prints the API's figures, as CSV or JSON."""

import json
from collections.abc import Callable

import httpx
import pytest

from tests.stats.activity import Activity
from tests.stats.conftest import Callers

PERIOD = ("--from", "2014-01-01", "--to", "2017-12-31", "--by", "year")


@pytest.mark.parametrize("figure", ["members", "downloads", "requests", "cumulative"])
def test_the_command_prints_the_api_figures(
    invoke: Callable[..., str],
    http: httpx.Client,
    api_url: str,
    callers: Callers,
    activity: Activity,
    figure: str,
) -> None:
    params = {"from": "2014-01-01", "to": "2017-12-31", "by": "year"}
    url = f"{api_url}/stats/{figure}"
    api_json = http.get(url, params=params, headers=callers.operator).json()
    api_csv = http.get(url, params={**params, "f": "csv"}, headers=callers.operator).text
    assert json.loads(invoke("stats", figure, *PERIOD, "--format", "json")) == api_json
    assert invoke("stats", figure, *PERIOD) == api_csv
    assert len(api_json["rows"]) > 4


def test_a_bad_period_is_refused(invoke: Callable[..., str]) -> None:
    output = invoke("stats", "members", "--from", "2018-01-01", "--to", "2017-01-01", code=1)
    assert "before it starts" in output
