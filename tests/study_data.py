"""A small hand-made FAERS database for the study tests: FDA-format zips with explicit CAR T, SPM and
comparator reports (versions, a deleted case, roles), loaded with the real loader, and the counts expected
from them computed here in plain Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from faers import load, paths
from faers.quarters import Quarter
from tests.builders import write_quarter_zip

QUARTERS = [Quarter(2023, 2), Quarter(2023, 3), Quarter(2023, 4), Quarter(2024, 1)]
BRANDS = {"axi-cel": "YESCARTA", "tisa-cel": "KYMRIAH", "ide-cel": "ABECMA", "cilta-cel": "CARVYKTI"}
SPM_PTS = {
    "Acute myeloid leukaemia": {"leukemia"},
    "Basal cell carcinoma": {"skin"},
    "T-cell lymphoma": {"t_cell_nhl", "t_cell_malignancy"},
    "T-cell type acute leukaemia": {"leukemia"},
    "Myelodysplastic syndrome": {"other_hematopoietic"},
}
INDICATIONS = {"axi-cel": "Diffuse large B-cell lymphoma", "tisa-cel": "Diffuse large B-cell lymphoma",
               "ide-cel": "Plasma cell myeloma", "cilta-cel": "Plasma cell myeloma"}


@dataclass
class Report:
    caseid: int
    version: int
    quarter: Quarter
    drugs: list[tuple[str, str]]  # (drugname, role)
    pts: list[str]
    indication: str = "Hypertension"
    event_dt: str = "20230601"
    start_dt: str = "20230101"
    age: str = "60"
    sex: str = "F"
    country: str = "US"  # DEMO occr_country

    @property
    def primaryid(self) -> int:
        return int(f"{self.caseid}{self.version}")


@dataclass
class StudyData:
    reports: list[Report] = field(default_factory=list)
    deleted: dict[Quarter, list[int]] = field(default_factory=dict)

    def survivors(self, through: Quarter | None = None, rule: str = "latest_version") -> list[Report]:
        deleted = {c for q, cs in self.deleted.items() if through is None or q <= through for c in cs}
        kept = [r for r in self.reports if r.caseid not in deleted and (through is None or r.quarter <= through)]
        if rule == "none":
            return kept
        best: dict[int, Report] = {}
        for r in kept:
            if r.caseid not in best or (r.version, r.quarter) > (best[r.caseid].version, best[r.caseid].quarter):
                best[r.caseid] = r
        return list(best.values())

    def expected(self, roles: set[str], through: Quarter | None = None, rule: str = "latest_version") -> dict:
        """The study counts by hand: CAR T reports, per product, SPM, per category."""
        per_product: dict[str, int] = dict.fromkeys(BRANDS, 0)
        spm_per_product: dict[str, int] = dict.fromkeys(BRANDS, 0)
        categories: dict[str, int] = {}
        car_t = spm = 0
        for r in self.survivors(through, rule):
            products = {p for p, b in BRANDS.items() for name, role in r.drugs if name == b and role in roles}
            if not products:
                continue
            car_t += 1
            groups = set().union(*(SPM_PTS.get(pt, set()) for pt in r.pts)) if r.pts else set()
            spm += bool(groups)
            for p in products:
                per_product[p] += 1
                spm_per_product[p] += bool(groups)
            for g in groups:
                categories[g] = categories.get(g, 0) + 1
        return {"car_t_reports": car_t, "spm_reports": spm, "per_product": per_product,
                "spm_per_product": spm_per_product, "categories": categories}


def make_data() -> StudyData:
    """Deterministic reports: every CAR T role, versions that add an SPM, a deletion, comparator reports."""
    data = StudyData()
    caseid = 100
    spm_cycle = list(SPM_PTS) + [None, None, None]
    roles = ["PS", "PS", "SS", "C", "PS"]
    i = 0
    for q_index, q in enumerate(QUARTERS):
        for product, brand in BRANDS.items():
            for _ in range(3):
                caseid += 1
                i += 1
                pt = spm_cycle[i % len(spm_cycle)]
                pts = ["Cytokine release syndrome"] + ([pt] if pt else [])
                drugs = [(brand, roles[i % len(roles)]), ("DEXAMETHASONE", "C")]
                data.reports.append(Report(caseid, 1, q, drugs, pts, INDICATIONS[product],
                                           event_dt=f"{q.year}{q.q * 3:02d}15", start_dt=f"{q.year}0{q.q}01"))
        # comparator reports: same indication without CAR T, and unrelated reports
        for k in range(10):
            caseid += 1
            indication = "Diffuse large B-cell lymphoma" if k < 4 else "Plasma cell myeloma" if k < 7 else "Hypertension"
            pts = ["Acute myeloid leukaemia"] if k in (0, 4) else ["T-cell lymphoma"] if k == 1 else ["Nausea"]
            data.reports.append(Report(caseid, 1, q, [("RITUXIMAB" if k < 7 else "LISINOPRIL", "PS")], pts, indication))
        if q_index == 0:
            first_axi = data.reports[0]
    # a follow-up version in a later quarter adds an SPM to an early axi-cel report
    data.reports.append(Report(first_axi.caseid, 2, QUARTERS[2], first_axi.drugs, first_axi.pts + ["Myelodysplastic syndrome"],
                               first_axi.indication))
    # a CAR T case deleted by FDA in 2023Q4
    deleted = next(r for r in data.reports if r.quarter == QUARTERS[1] and r.drugs[0][0] == "KYMRIAH")
    data.deleted[QUARTERS[2]] = [deleted.caseid]
    return data


def _rows(reports: list[Report]) -> dict[str, list[dict[str, str]]]:
    rows: dict[str, list[dict[str, str]]] = {t: [] for t in ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi")}
    for r in reports:
        pid, cid = str(r.primaryid), str(r.caseid)
        rows["demo"].append({"primaryid": pid, "caseid": cid, "caseversion": str(r.version), "i_f_code": "F" if r.version > 1 else "I",
                             "event_dt": r.event_dt, "fda_dt": f"{r.quarter.year}0{r.quarter.q * 3 - 2}10",
                             "init_fda_dt": "20230410", "age": r.age, "age_cod": "YR", "sex": r.sex, "occr_country": r.country})
        for seq, (name, role) in enumerate(r.drugs, start=1):
            generic = {"YESCARTA": "AXICABTAGENE CILOLEUCEL", "KYMRIAH": "TISAGENLECLEUCEL"}.get(name, name)
            rows["drug"].append({"primaryid": pid, "caseid": cid, "drug_seq": str(seq), "role_cod": role, "drugname": name,
                                 "prod_ai": generic})
            rows["ther"].append({"primaryid": pid, "caseid": cid, "dsg_drug_seq": str(seq), "start_dt": r.start_dt})
            rows["indi"].append({"primaryid": pid, "caseid": cid, "indi_drug_seq": str(seq), "indi_pt": r.indication})
        for pt in r.pts:
            rows["reac"].append({"primaryid": pid, "caseid": cid, "pt": pt})
    return rows


def build_db(tmp_path: Path, data: StudyData | None = None) -> tuple[paths.Settings, StudyData]:
    """Write the quarters as FDA zips and load them with the real loader."""
    data = data or make_data()
    zips = []
    for q in QUARTERS:
        quarter_reports = [r for r in data.reports if r.quarter == q]
        zips.append(write_quarter_zip(tmp_path, q, _rows(quarter_reports), deleted=data.deleted.get(q, [])))
    settings = paths.resolve(home=tmp_path / "home", environ={})
    load.load(settings, [load.local_zip(z) for z in zips])
    return settings, data
