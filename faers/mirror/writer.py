"""Writes one quarter's zip: tables streamed to temporary files, known broken lines planted, then zipped reproducibly."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import zipfile
from pathlib import Path

from faers.mirror.layout import REPORT_ROWS, TABLES, QuarterLayout, TableLayout, link_name
from faers.mirror.plan import QuarterPlan
from faers.mirror.records import Report
from faers.mirror.reports import ReportBuilder
from faers.quarters import Quarter

_FLUSH_EVERY = 4096  # records buffered per table before a write
_LEGACY_DRUG_SEQ_BASE = 1_004_490_000  # legacy DRUG_SEQ is one global sequence (e.g. 1004492716 in 2004Q1)
_SPLIT_AFTER_FIELD = 10  # split records break after MFR_SNDR: the next physical line starts with '$'


def release_time(quarter: Quarter) -> tuple[int, int, int, int, int, int]:
    """Fixed zip timestamp (about when FDA posts a quarter), so the same seed gives byte-identical zips."""
    day = quarter.end_date() + dt.timedelta(days=35)
    return (day.year, day.month, day.day, 10, 0, 0)


class TableWriter:
    """One '$'-delimited table: header, records, line/record counts. EOLs are written before each record so a
    collapsed line (two records on one line) is just a record written without its EOL."""

    def __init__(self, path: Path, layout: TableLayout, eol: str, trailing_dollar_header: bool, trailing_dollar_rows: bool):
        self.path = path
        self.member = layout.member
        self.eol = eol
        self.suffix = "$" if trailing_dollar_rows else ""
        self.fh = open(path, "wb")
        header = "$".join(layout.header) + ("$" if trailing_dollar_header else "")
        self.fh.write((b"\xef\xbb\xbf" if layout.bom else b"") + header.encode("ascii"))
        self.buffer: list[str] = []
        self.lines = 1  # physical lines so far, header included
        self.records = 0
        self.last_fields: list[str] | None = None
        self.last_line = 0

    def write(self, fields: list[str], *, join_previous: bool = False, split_after: int | None = None) -> int:
        """Write one record; return the physical line number it starts on."""
        text = "$".join(fields)
        if split_after is not None:
            head = "$".join(fields[: split_after + 1])
            text = head + self.eol + text[len(head):]
        if join_previous:
            line = self.lines
            self.buffer.append(text + self.suffix)
        else:
            self.lines += 1
            line = self.lines
            self.buffer.append(self.eol + text + self.suffix)
        if split_after is not None:
            self.lines += 1
        self.records += 1
        self.last_fields, self.last_line = fields, line
        if len(self.buffer) >= _FLUSH_EVERY:
            self.flush()
        return line

    def flush(self) -> None:
        self.fh.write("".join(self.buffer).encode("latin-1"))
        self.buffer.clear()

    def close(self) -> None:
        self.buffer.append(self.eol)
        self.flush()
        self.fh.close()

    def counts(self) -> dict:
        return {"member": self.member, "records": self.records, "lines": self.lines - 1}


def _without(fields: list[str], chars: str) -> list[str]:
    return ["".join(ch for ch in f if ch not in chars) for f in fields]


class QuarterWriter:
    def __init__(self, layout: QuarterLayout, builder: ReportBuilder, work_dir: Path):
        self.layout = layout
        self.builder = builder
        self.work_dir = work_dir
        self.defects: list[dict] = []
        self.legacy_seq = _LEGACY_DRUG_SEQ_BASE + 1_500_000 * (layout.quarter.index - Quarter(2004, 1).index)

    def write(self, plan: QuarterPlan, out_path: Path) -> dict:
        layout = self.layout
        writers = {
            t: TableWriter(self.work_dir / f"{t}.txt", tl, layout.eol, layout.trailing_dollar_header, layout.trailing_dollar_rows)
            for t, tl in layout.tables.items()
        }
        try:
            for spec in plan.specs:
                report = self.builder.build(spec)
                self._emit(report, spec.defects, writers)
        finally:
            for w in writers.values():
                w.close()
        members = self._members(plan, writers)
        _write_zip(out_path, members, release_time(layout.quarter))
        return {
            "zip": layout.zip_name,
            "era": layout.quarter.era,
            "tables": {t: w.counts() for t, w in writers.items()},
            "deleted_member": layout.deleted_member,
            "deleted_caseids": len(plan.deleted_caseids) if layout.deleted_member else 0,
            "car_t_reports": len(plan.car_t_entries),
            "defects": self.defects,
        }

    # --- rows ------------------------------------------------------------------------------------

    def _emit(self, report: Report, defects: tuple[str, ...], writers: dict[str, TableWriter]) -> None:
        layout = self.layout
        if layout.legacy:
            keys = [str(report.isr)]
            demo_values = {**report.demo, "isr": str(report.isr), "caseid": str(report.caseid)}
        else:
            keys = [str(report.primaryid), str(report.caseid)]
            demo_values = {**report.demo, "primaryid": keys[0], "caseid": keys[1], "caseversion": str(report.caseversion)}
        if "embedded_dollar" in defects:
            self._plant_dollar(report, demo_values)
        demo_fields = [demo_values[k] for k in layout.tables["DEMO"].demo_keys]
        self._write("DEMO", writers, demo_fields, report, defects)

        seq_map: dict[int, int] | None = None
        if layout.legacy:  # AERS DRUG_SEQ is a global sequence; THER/INDI refer to it
            seq_map = {}
            for row in report.drugs:
                self.legacy_seq += 1 + (row[0] % 3 == 0)
                seq_map[row[0]] = self.legacy_seq
        for table in TABLES[1:]:
            project = layout.tables[table].project
            first = True
            for row in getattr(report, REPORT_ROWS[table]):
                values = project(row)
                if seq_map is not None and table in ("DRUG", "THER", "INDI"):
                    values = (seq_map[values[0]], *values[1:])
                fields = keys + [str(v) for v in values]
                if table == "DRUG" and first:
                    fields = self._plant_drug_chars(fields, defects)
                self._write(table, writers, fields, report, defects if first else ())
                first = False

    def _write(self, table: str, writers: dict[str, TableWriter], fields: list[str], report: Report, defects: tuple[str, ...]) -> None:
        writer = writers[table]
        kinds = [d for d in defects if _DEFECT_TABLE[d] == table]
        if not kinds:
            writer.write(fields)
            return
        record: dict = {"quarter": str(self.layout.quarter), "file": writer.member, "isr": report.isr}
        if "collapsed_line" in kinds:
            previous = writer.last_fields
            line = writer.write(fields, join_previous=True)
            self._record(record, "collapsed_line", line, [previous, fields])
            kinds.remove("collapsed_line")
        elif "split_record" in kinds:
            line = writer.write(fields, split_after=_SPLIT_AFTER_FIELD)
            self._record(record, "split_record", line, [fields])
            kinds.remove("split_record")
        else:
            line = writer.write(fields)
        for kind in kinds:
            chars = {"embedded_dollar": "$", "backspace": "\x08", "delete_char": "\x7f"}[kind]
            # Only the value carries the stray character: the key columns and delimiters are intact.
            repaired = fields[:1] + _without(fields[1:], chars) if kind != "embedded_dollar" else self._undollar(fields)
            self._record(record, kind, line, [repaired])

    def _record(self, base: dict, kind: str, line: int, expected: list[list[str]]) -> None:
        self.defects.append({**base, "kind": kind, "line": line, "expected_records": expected})

    def _undollar(self, fields: list[str]) -> list[str]:
        """A '$' planted inside mfr_num: the repaired record has it removed (AEOLUS/Yunuuuu)."""
        mfr_index = self.layout.tables["DEMO"].demo_keys.index("mfr_num")
        return [f.replace("$", "") if i == mfr_index else f for i, f in enumerate(fields)]

    def _plant_dollar(self, report: Report, demo_values: dict) -> None:
        if report.isr == 8129732:  # DEMO12Q1 line 105917 in FDA's file
            demo_values.update(mfr_num="JP-CUBIST-$E2B0000000182", mfr_sndr="CUBIST", reporter_country="JAPAN")
        else:
            sndr = (demo_values["mfr_sndr"] or "PFIZER").split()[0]
            demo_values.update(mfr_num=f"JP-{sndr}-$E2B{report.isr:010d}", mfr_sndr=sndr)

    def _plant_drug_chars(self, fields: list[str], defects: tuple[str, ...]) -> list[str]:
        name_index = 3  # ISR, DRUG_SEQ, ROLE_COD, DRUGNAME
        if "backspace" in defects:
            fields = [*fields[:name_index], fields[name_index] + "\x08", *fields[name_index + 1:]]
        if "delete_char" in defects:
            name = fields[name_index]
            fields = [*fields[:name_index], name[: len(name) // 2] + "\x7f" + name[len(name) // 2:], *fields[name_index + 1:]]
        return fields

    # --- zip members -----------------------------------------------------------------------------

    def _members(self, plan: QuarterPlan, writers: dict[str, TableWriter]) -> list[tuple[str, bytes | Path | None]]:
        layout = self.layout
        folder = layout.folder + "/"
        root_junk = [m for m in layout.junk_members if "/" not in m]
        folder_junk = [m for m in layout.junk_members if m.startswith(folder)]
        members: list[tuple[str, bytes | Path | None]] = [(m, _junk(m, writers, layout)) for m in root_junk]
        members.append((folder, None))
        members += [(w.member, w.path) for w in writers.values()]
        members += [(m, _junk(m, writers, layout)) for m in folder_junk]
        if layout.deleted_member:
            # Real DELETE files: first line a single space, then one CASEID per line, LF endings, no header.
            text = " \n" + "".join(f"{c}\n" for c in plan.deleted_caseids)
            members += [("Deleted/", None), (layout.deleted_member, text.encode("ascii"))]
        return members


_DEFECT_TABLE = {"split_record": "DEMO", "embedded_dollar": "DEMO", "collapsed_line": "DRUG", "backspace": "DRUG", "delete_char": "DRUG"}


def _junk(name: str, writers: dict[str, TableWriter], layout: QuarterLayout) -> bytes:
    """FDA's documentation files, as small placeholders (downloaders and loaders must skip them)."""
    base = name.rsplit("/", 1)[-1]
    if base.upper().startswith(("SIZE", "STAT")):
        # SIZE lists each data file's bytes, STAT its record count (legacy AERS zips).
        rows = [(Path(w.member).name, w.path.stat().st_size if base.upper().startswith("SIZE") else w.records) for w in writers.values()]
        return "".join(f"{n:<16}{v:>12}\r\n" for n, v in rows).encode("ascii")
    text = f"FAERS mirror placeholder for FDA's {base} ({layout.quarter}): documentation is not reproduced."
    if base.lower().endswith(".doc"):
        return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24 + text.encode("ascii")
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Title (" + text.encode("ascii") + b") >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _write_zip(path: Path, members: list[tuple[str, bytes | Path | None]], when: tuple) -> None:
    """Zip with fixed timestamps and attributes so identical inputs give identical bytes; atomic rename."""
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, content in members:
            info = zipfile.ZipInfo(name, date_time=when)
            info.create_system = 0  # FDA's zips are made on Windows
            if content is None:
                info.external_attr = 0x10  # MS-DOS directory
                info.compress_type = zipfile.ZIP_STORED
                zf.writestr(info, b"")
                continue
            info.external_attr = 0x20  # MS-DOS archive bit
            info.compress_type = zipfile.ZIP_DEFLATED
            if isinstance(content, bytes):
                zf.writestr(info, content)
            else:
                with open(content, "rb") as src, zf.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    tmp.replace(path)


def write_placeholder_zip(path: Path, quarter: Quarter) -> None:
    """The XML/SGML link targets: tiny valid zips a downloader must not mistake for the ASCII data."""
    text = f"FAERS mirror: {link_name(quarter, 'xml')} is a placeholder; the mirror generates ASCII data only.\r\n"
    _write_zip(path, [("README.txt", text.encode("ascii"))], release_time(quarter))


def write_quarter(layout: QuarterLayout, plan: QuarterPlan, builder: ReportBuilder, out_path: Path, tmp_root: Path) -> dict:
    with tempfile.TemporaryDirectory(dir=tmp_root, prefix=f".mirror-{layout.quarter}-") as work:
        return QuarterWriter(layout, builder, Path(work)).write(plan, out_path)
