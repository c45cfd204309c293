"""FDA-shaped sites for the process-level campaigns: several generated quarters (overlapping case versions,
a deleted-case list) plus the two real sample zips, served by the fault server."""

from __future__ import annotations

import random
from pathlib import Path

from faers.quarters import Quarter
from tests.builders import write_quarter_zip
from tests.faults.conftest import page
from tests.integration.httpfaults import EXPORTS, INDEX_PATH

GENERATED = [Quarter(2018, 1), Quarter(2018, 2), Quarter(2018, 3), Quarter(2018, 4)]


def generated_quarter(directory: Path, quarter: Quarter, cases: int) -> Path:
    """`cases` reports; case ids overlap between quarters with rising versions, so dedup has work to do."""
    rng = random.Random(str(quarter))
    demo, drug, reac, outc = [], [], [], []
    version = GENERATED.index(quarter) + 1 if quarter in GENERATED else 1
    for _ in range(cases):
        caseid = 5_000_000 + rng.randrange(cases * 2)
        pid = f"{caseid}{version}"
        demo.append({"primaryid": pid, "caseid": str(caseid), "caseversion": str(version), "i_f_code": "F",
                     "fda_dt": "20180301", "sex": rng.choice("MF"), "age": str(rng.randint(1, 90)), "age_cod": "YR"})
        for seq in range(1, 4):
            drug.append({"primaryid": pid, "caseid": str(caseid), "drug_seq": str(seq), "role_cod": "PS" if seq == 1 else "C",
                         "drugname": rng.choice(["ASPIRIN", "KYMRIAH", "YESCARTA", "METFORMIN"])})
        reac.append({"primaryid": pid, "caseid": str(caseid), "pt": rng.choice(["Nausea", "Pyrexia", "Death"])})
        outc.append({"primaryid": pid, "caseid": str(caseid), "outc_cod": "OT"})
    deleted = [5_000_000 + k for k in range(0, cases * 2, 97)] if quarter == GENERATED[-1] else None
    return write_quarter_zip(directory, quarter, {"demo": demo, "drug": drug, "reac": reac, "outc": outc},
                             deleted=deleted)


def build_site_files(directory: Path, real_zips: dict[str, bytes], cases: int = 3000) -> dict[str, bytes]:
    directory.mkdir(parents=True, exist_ok=True)
    files = dict(real_zips)
    for quarter in GENERATED:
        path = generated_quarter(directory, quarter, cases)
        files[path.name] = path.read_bytes()
    return files


def serve_site(server, files: dict[str, bytes]) -> str:
    """Serve `files` and an index page listing them; returns the index URL."""
    server.serve_page(INDEX_PATH, page({f"../../content/Exports/{name}": "ASCII (1MB)" for name in files}))
    for name, body in files.items():
        server.serve(EXPORTS + name, body)
    return server.url(INDEX_PATH)
