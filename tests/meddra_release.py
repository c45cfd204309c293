"""A tiny fake MedDRA ASCII release (MedDRA is licensed: nothing of the real one is in the repository)."""

from __future__ import annotations

NEOPLASMS = "Neoplasms benign, malignant and unspecified (incl cysts and polyps)"
BLOOD = "Blood and lymphatic system disorders"

# A miniature release in MedDRA's ASCII layout: '$'-separated, no header, every line ending in '$'.
RELEASE = {
    "soc.asc": [[10029104, NEOPLASMS, "Neopl", "", "", "", "", "", "", ""],
                [10005329, BLOOD, "Blood", "", "", "", "", "", "", ""]],
    "hlgt.asc": [[10024324, "Leukaemias", "", "", "", "", "", "", ""],
                 [10025320, "Lymphomas non-Hodgkin's B-cell", "", "", "", "", "", "", ""],
                 [10018865, "Haematopoietic neoplasms (excl leukaemias and lymphomas)", "", "", "", "", "", "", ""],
                 [10018849, "Haematological disorders NEC", "", "", "", "", "", "", ""]],
    "hlt.asc": [[10024291, "Leukaemias acute myeloid", "", "", "", "", "", "", ""],
                [10012819, "Diffuse large B-cell lymphomas", "", "", "", "", "", "", ""],
                [10028534, "Myelodysplastic syndromes", "", "", "", "", "", "", ""]],
    "pt.asc": [[10000880, "Acute myeloid leukaemia", "", 10029104, "", "", "", "", "", "", ""],
               [10012821, "Diffuse large B-cell lymphoma recurrent", "", 10029104, "", "", "", "", "", "", ""],
               [10028533, "Myelodysplastic syndrome", "", 10029104, "", "", "", "", "", "", ""]],
    "llt.asc": [[10000880, "Acute myeloid leukaemia", 10000880, "", "", "", "", "", "", "Y", ""],
                [10000886, "Acute myeloid leukemia", 10000880, "", "", "", "", "", "", "Y", ""],
                [10001000, "AML", 10000880, "", "", "", "", "", "", "Y", ""],
                [10012821, "Diffuse large B-cell lymphoma recurrent", 10012821, "", "", "", "", "", "", "Y", ""],
                [10028533, "Myelodysplastic syndrome", 10028533, "", "", "", "", "", "", "Y", ""]],
    "mdhier.asc": [
        [10000880, 10024291, 10024324, 10029104, "Acute myeloid leukaemia", "Leukaemias acute myeloid", "Leukaemias",
         NEOPLASMS, "Neopl", "", 10029104, "Y"],
        [10012821, 10012819, 10025320, 10029104, "Diffuse large B-cell lymphoma recurrent",
         "Diffuse large B-cell lymphomas", "Lymphomas non-Hodgkin's B-cell", NEOPLASMS, "Neopl", "", 10029104, "Y"],
        [10028533, 10028534, 10018865, 10029104, "Myelodysplastic syndrome", "Myelodysplastic syndromes",
         "Haematopoietic neoplasms (excl leukaemias and lymphomas)", NEOPLASMS, "Neopl", "", 10029104, "Y"],
        [10028533, 10028534, 10018849, 10005329, "Myelodysplastic syndrome", "Myelodysplastic syndromes",
         "Haematological disorders NEC", BLOOD, "Blood", "", 10029104, "N"],
    ],
    "hlt_pt.asc": [[10024291, 10000880], [10012819, 10012821], [10028534, 10028533]],
    "hlgt_hlt.asc": [[10024324, 10024291], [10025320, 10012819], [10018865, 10028534], [10018849, 10028534]],
    "soc_hlgt.asc": [[10029104, 10024324], [10029104, 10025320], [10029104, 10018865], [10005329, 10018849]],
    "smq_list.asc": [[20000090, "Malignancies (SMQ)", 1, "all malignancies", "", "", "27.0", "A", "N"],
                     [20000227, "Haematological malignant tumours (SMQ)", 2, "", "", "", "27.0", "A", "N"]],
    "smq_content.asc": [
        [20000090, 20000227, 0, 0, "", 0, "A", "10.0", "27.0"],        # sub-SMQ
        [20000090, 10012821, 5, 2, "A", 0, "A", "10.0", "27.0"],       # an LLT, narrow
        [20000227, 10000880, 4, 2, "A", 0, "A", "10.0", "27.0"],       # a PT, narrow
        [20000227, 10028533, 4, 1, "A", 0, "A", "10.0", "27.0"],       # a PT, broad
        [20000227, 10099999, 4, 2, "A", 0, "I", "10.0", "27.0"],       # inactive: ignored
    ],
}


def write_release(directory, files=RELEASE, upper_case_names=False):
    directory.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        text = "".join("$".join(str(v) for v in line) + "$\r\n" for line in lines)
        (directory / (name.upper() if upper_case_names else name)).write_text(text, encoding="latin-1")
    return directory
