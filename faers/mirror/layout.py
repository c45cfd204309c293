"""Each era's zip layout: file and member names, header lines, column order, line endings and junk files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from faers.quarters import FAERS_A, LEGACY, Quarter

TABLES = ("DEMO", "DRUG", "INDI", "OUTC", "REAC", "RPSR", "THER")

# FDA's own link casing on the QDE page (snapshot 2024-07-23 + 2025 manifest): lower-case q except these.
UPPER_Q_QUARTERS = frozenset(
    [Quarter(y, q) for y in (2019, 2020, 2021) for q in (1, 2, 3, 4)]
    + [Quarter(2022, 3), Quarter(2022, 4), Quarter(2023, 3), Quarter(2023, 4), Quarter(2025, 4)]
)
ASCII_UPPER_FOLDER_FROM = Quarter(2019, 1)
FAERS_PDF_JUNK_FROM = Quarter(2014, 3)

LEGACY_DEMO = ("ISR CASE I_F_COD FOLL_SEQ IMAGE EVENT_DT MFR_DT FDA_DT REPT_COD MFR_NUM MFR_SNDR AGE AGE_COD GNDR_COD "
               "E_SUB WT WT_COD REPT_DT OCCP_COD DEATH_DT TO_MFR CONFID").split()
LEGACY_DEMO_COUNTRY_FROM = Quarter(2005, 3)
FAERS_A_DEMO = ("primaryid caseid caseversion i_f_code event_dt mfr_dt init_fda_dt fda_dt rept_cod mfr_num mfr_sndr age "
                "age_cod gndr_cod e_sub wt wt_cod rept_dt to_mfr occp_cod reporter_country occr_country").split()
FAERS_B_DEMO = ("primaryid caseid caseversion i_f_code event_dt mfr_dt init_fda_dt fda_dt rept_cod auth_num mfr_num mfr_sndr "
                "lit_ref age age_cod age_grp sex e_sub wt wt_cod rept_dt to_mfr occp_cod reporter_country occr_country").split()
# Header name -> key of Report.demo, for names that differ.
_DEMO_KEY = {"isr": "isr", "case": "caseid", "i_f_cod": "i_f_code", "gndr_cod": "sex"}

# Non-DEMO tables: (header after the key columns, indices into the report's canonical row tuples).
LEGACY_COLUMNS = {
    "DRUG": ("DRUG_SEQ ROLE_COD DRUGNAME VAL_VBM ROUTE DOSE_VBM DECHAL RECHAL LOT_NUM EXP_DT NDA_NUM".split(),
             (0, 1, 2, 4, 5, 6, 9, 10, 11, 12, 13)),
    "REAC": (["PT"], (0,)),
    "OUTC": (["OUTC_COD"], (0,)),
    "RPSR": (["RPSR_COD"], (0,)),
    "THER": ("DRUG_SEQ START_DT END_DT DUR DUR_COD".split(), (0, 1, 2, 3, 4)),
    "INDI": ("DRUG_SEQ INDI_PT".split(), (0, 1)),
}
FAERS_A_COLUMNS = {
    "DRUG": ("drug_seq role_cod drugname val_vbm route dose_vbm cum_dose_chr cum_dose_unit dechal rechal lot_num exp_dt "
             "nda_num dose_amt dose_unit dose_form dose_freq".split(), (0, 1, 2, *range(4, 18))),
    "REAC": (["pt"], (0,)),
    "OUTC": (["outc_cod"], (0,)),
    "RPSR": (["rpsr_cod"], (0,)),
    "THER": ("dsg_drug_seq start_dt end_dt dur dur_cod".split(), (0, 1, 2, 3, 4)),
    "INDI": ("indi_drug_seq indi_pt".split(), (0, 1)),
}
FAERS_B_COLUMNS = {
    **FAERS_A_COLUMNS,
    "DRUG": ("drug_seq role_cod drugname prod_ai val_vbm route dose_vbm cum_dose_chr cum_dose_unit dechal rechal lot_num "
             "exp_dt nda_num dose_amt dose_unit dose_form dose_freq".split(), tuple(range(18))),
    "REAC": (["pt", "drug_rec_act"], (0, 1)),
}
# Which Report attribute feeds each table.
REPORT_ROWS = {"DRUG": "drugs", "REAC": "reactions", "OUTC": "outcomes", "RPSR": "sources", "THER": "therapies", "INDI": "indications"}


@dataclass(frozen=True)
class TableLayout:
    member: str  # path inside the zip
    header: list[str]
    demo_keys: list[str] | None  # DEMO: Report.demo keys in column order
    project: Callable[[tuple], tuple] | None  # other tables: picks the era's fields from the canonical row tuple
    bom: bool  # 2012Q4 DRUG begins with a UTF-8 BOM


@dataclass(frozen=True)
class QuarterLayout:
    quarter: Quarter
    zip_name: str
    folder: str
    tables: dict[str, TableLayout]
    legacy: bool
    trailing_dollar_header: bool  # 2012Q4: header and rows both end with '$' (same field count)
    trailing_dollar_rows: bool  # legacy and 2012Q4 rows end with '$'
    deleted_member: str | None
    junk_members: tuple[str, ...]

    @property
    def eol(self) -> str:
        return "\r\n"  # FDA ships CRLF in every era (the Deleted file is the exception: LF)


def link_name(quarter: Quarter, kind: str = "ascii") -> str:
    """File name as FDA's page links it, e.g. aers_ascii_2004q1.zip, faers_ascii_2023Q4.zip, faers_xml_2024q1.zip."""
    prefix = "aers" if quarter.era == LEGACY else "faers"
    if kind == "xml" and quarter.era == LEGACY:
        kind = "sgml"
    q = "Q" if quarter in UPPER_Q_QUARTERS else "q"
    return f"{prefix}_{kind}_{quarter.year}{q}{quarter.q}.zip"


def quarter_layout(quarter: Quarter) -> QuarterLayout:
    era, yyqq = quarter.era, quarter.yyqq
    first_faers = quarter == Quarter(2012, 4)
    folder = "ASCII" if quarter >= ASCII_UPPER_FOLDER_FROM else "ascii"

    def member(table: str) -> str:
        if era == LEGACY:
            return f"{folder}/{table}{yyqq}.TXT"
        if first_faers:
            return f"{folder}/{table.lower()}{yyqq.lower()}.txt"
        suffix = "_new" if table == "DEMO" and quarter == Quarter(2018, 1) else ""
        return f"{folder}/{table}{yyqq}{suffix}.txt"

    if era == LEGACY:
        demo_header = LEGACY_DEMO + (["REPORTER_COUNTRY"] if quarter >= LEGACY_DEMO_COUNTRY_FROM else [])
        columns, keys = LEGACY_COLUMNS, ["ISR"]
    elif era == FAERS_A:
        demo_header, columns, keys = list(FAERS_A_DEMO), FAERS_A_COLUMNS, ["primaryid", "caseid"]
    else:
        demo_header, columns, keys = list(FAERS_B_DEMO), FAERS_B_COLUMNS, ["primaryid", "caseid"]
    demo_keys = [_DEMO_KEY.get(h.lower(), h.lower()) for h in demo_header]
    tables = {"DEMO": TableLayout(member("DEMO"), _quirky_header(demo_header, first_faers), demo_keys, None, False)}
    for table, (names, indices) in columns.items():
        header = _quirky_header(keys + names, first_faers)
        tables[table] = TableLayout(member(table), header, None, _projection(indices), first_faers and table == "DRUG")
    tables = {t: tables[t] for t in TABLES}

    if era == LEGACY:
        junk = ("README.doc", f"SIZE{yyqq}.TXT", f"{folder}/Asc_nts.doc", f"{folder}/STAT{yyqq}.TXT")
    elif quarter < FAERS_PDF_JUNK_FROM:
        junk = ("FAQs.doc", "Readme.doc", f"{folder}/ASC_NTS.doc")
    elif quarter < ASCII_UPPER_FOLDER_FROM:
        junk = ("FAQs.pdf", "Readme.pdf", f"{folder}/ASC_NTS.pdf")
    else:
        junk = ("FAQs.pdf", "Readme.pdf", f"{folder}/ASC_NTS.pdf", *(f"{folder}/{t}{yyqq}.pdf" for t in TABLES))
    return QuarterLayout(
        quarter=quarter,
        zip_name=link_name(quarter),
        folder=folder,
        tables=tables,
        legacy=era == LEGACY,
        trailing_dollar_header=first_faers,
        trailing_dollar_rows=era == LEGACY or first_faers,
        deleted_member=f"Deleted/DELETE{yyqq}.txt" if quarter >= ASCII_UPPER_FOLDER_FROM else None,
        junk_members=junk,
    )


def _projection(indices: tuple[int, ...]) -> Callable[[tuple], tuple]:
    if len(indices) == 1:
        (index,) = indices
        return lambda row: (row[index],)
    return itemgetter(*indices)


def _quirky_header(names: list[str], first_faers: bool) -> list[str]:
    """2012Q4's real header quirks: ' rept_dt' with a leading space, lot_nbr, outc_code."""
    if not first_faers:
        return list(names)
    renames = {"rept_dt": " rept_dt", "lot_num": "lot_nbr", "outc_cod": "outc_code"}
    return [renames.get(n, n) for n in names]
