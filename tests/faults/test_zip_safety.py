"""Hostile zips are refused with a message naming the member before anything is extracted or loaded."""

from __future__ import annotations

import stat
import zipfile

import pytest

from faers import load, paths
from faers.database import Database
from faers.errors import LoadError
from faers.quarters import Quarter
from tests.builders import write_quarter_zip

pytestmark = pytest.mark.faults

Q = Quarter(2017, 2)


def quarter_zip(tmp_path, add) -> zipfile.Path:
    """A well-formed 2017Q2 zip plus whatever `add(zf)` writes into it."""
    path = write_quarter_zip(tmp_path, Q, {"demo": [{"primaryid": "101", "caseid": "1", "caseversion": "1"}]})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        add(zf)
    return path


def symlink(zf, name, target):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    zf.writestr(info, target)


HOSTILE = {
    "parent path": (lambda zf: zf.writestr("ascii/../../escaped.txt", "x"), "zip slip"),
    "parent path named like a table": (lambda zf: zf.writestr("../DEMO17Q2.txt", "x"), "zip slip"),
    "absolute path": (lambda zf: zf.writestr("/tmp/faers-abs-escape.txt", "x"), "zip slip"),
    "windows drive": (lambda zf: zf.writestr("C:\\\\evil\\\\DRUG17Q2.txt", "x"), "zip slip"),
    "backslash parent": (lambda zf: zf.writestr("ascii\\\\..\\\\..\\\\escaped.txt", "x"), "zip slip"),
    "symlink to /etc": (lambda zf: symlink(zf, "ascii/link", "/etc/passwd"), "symbolic link"),
    "symlink named like a table": (lambda zf: symlink(zf, "ascii/REAC17Q2.txt", "/etc/passwd"), "symbolic link"),
    "bomb: 60 MB of zeros": (lambda zf: zf.writestr("ascii/STAT17Q2.txt", b"\0" * 60_000_000), "zip bomb"),
    "nested zip": (lambda zf: zf.writestr("ascii/inner.zip", b"PK\x05\x06" + b"\0" * 18), "nested zip"),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_member_is_refused_before_anything_is_written(tmp_path, kind):
    add, words = HOSTILE[kind]
    zip_path = quarter_zip(tmp_path, add)
    settings = paths.resolve(home=tmp_path / "home", environ={})
    with pytest.raises(LoadError) as err:
        load.load(settings, [load.local_zip(zip_path)])
    message = str(err.value)
    assert words in message and zip_path.name in message
    con = Database(settings).con
    assert con.execute("SELECT count(*) FROM loaded_quarters").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM demo_all").fetchone()[0] == 0
    con.close()
    # Nothing was extracted anywhere: no work files left, nothing beside or above the home.
    leftovers = [p for p in settings.tmp_dir.rglob("*") if p.is_file()] if settings.tmp_dir.exists() else []
    assert leftovers == []
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path.parent / "escaped.txt").exists()


def test_declared_size_beyond_any_quarter_is_refused_without_reading(tmp_path, monkeypatch):
    # A header may claim terabytes; the check must use the declared size, not decompress to find out.
    zip_path = quarter_zip(tmp_path, lambda zf: zf.writestr("ascii/big.txt", b"small"))
    real_infolist = zipfile.ZipFile.infolist

    def lying_infolist(self):
        infos = real_infolist(self)
        for info in infos:
            if info.filename == "ascii/big.txt":
                info.file_size = 5 * 1024**4
        return infos

    monkeypatch.setattr(zipfile.ZipFile, "infolist", lying_infolist)
    settings = paths.resolve(home=tmp_path / "home", environ={})
    with pytest.raises(LoadError, match="zip bomb"):
        load.load(settings, [load.local_zip(zip_path)])
