from pathlib import Path

import pytest

from faers import paths
from faers.errors import ConfigError
from faers.quarters import FAERS_A, FAERS_B, LEGACY, Quarter, in_range


def test_flags_beat_environment_beat_defaults(tmp_path):
    env = {"FAERS_HOME": str(tmp_path / "envhome"), "FAERS_INDEX_URL": "http://127.0.0.1:9/env.html"}
    s = paths.resolve(environ={})
    assert s.home == Path("cache").resolve()
    assert s.index_url == paths.DEFAULT_INDEX_URL
    assert s.db_path == s.home / "faers.duckdb"
    s = paths.resolve(environ=env)
    assert s.home == (tmp_path / "envhome").resolve()
    assert s.index_url == "http://127.0.0.1:9/env.html"
    assert s.downloads == s.home / "downloads"
    s = paths.resolve(home=tmp_path / "flag", index_url="http://x/flag.html", db=tmp_path / "x.duckdb", environ=env)
    assert s.home == (tmp_path / "flag").resolve()
    assert s.index_url == "http://x/flag.html"
    assert s.db_path == (tmp_path / "x.duckdb").resolve()


@pytest.mark.parametrize(
    "text,era", [("2004Q1", LEGACY), ("2012q3", LEGACY), ("2012Q4", FAERS_A), ("2014Q2", FAERS_A), ("2014q3", FAERS_B)]
)
def test_quarter_parse_and_era(text, era):
    q = Quarter.parse(text)
    assert q.era == era
    assert str(q) == text.upper()


def test_quarter_order_range_and_errors():
    qs = [Quarter(2020, 1), Quarter(2019, 4), Quarter(2021, 2)]
    assert in_range(qs, Quarter(2019, 4), Quarter(2020, 4)) == [Quarter(2019, 4), Quarter(2020, 1)]
    assert Quarter(2019, 4).next() == Quarter(2020, 1)
    assert Quarter(2018, 1).yyqq == "18Q1"
    with pytest.raises(ConfigError, match="2019Q5"):
        Quarter.parse("2019Q5")
