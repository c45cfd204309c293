"""A stand-in for `faers.vocab.install` with the contract's table and view names, for unit tests that must not
depend on the curated vocabularies (the integration tests use the real module)."""

from __future__ import annotations

from tests.study_data import SPM_PTS

PRODUCTS = [
    ("axi-cel", "YESCARTA", "axicabtagene ciloleucel", "CD19"),
    ("tisa-cel", "KYMRIAH", "tisagenlecleucel", "CD19"),
    ("brexu-cel", "TECARTUS", "brexucabtagene autoleucel", "CD19"),
    ("liso-cel", "BREYANZI", "lisocabtagene maraleucel", "CD19"),
    ("ide-cel", "ABECMA", "idecabtagene vicleucel", "BCMA"),
    ("cilta-cel", "CARVYKTI", "ciltacabtagene autoleucel", "BCMA"),
    ("obe-cel", "AUCATZYL", "obecabtagene autoleucel", "CD19"),
]
PRODUCT_INDICATIONS = [("axi-cel", "large_b_cell_lymphoma"), ("tisa-cel", "large_b_cell_lymphoma"), ("tisa-cel", "b_all"),
                       ("brexu-cel", "b_all"), ("liso-cel", "large_b_cell_lymphoma"), ("ide-cel", "multiple_myeloma"),
                       ("cilta-cel", "multiple_myeloma"), ("obe-cel", "b_all")]
INDICATION_TERMS = [("large_b_cell_lymphoma", "Diffuse large B-cell lymphoma"), ("multiple_myeloma", "Plasma cell myeloma")]


def install(con) -> None:
    con.execute("CREATE OR REPLACE TABLE vocab_products (product VARCHAR, brand VARCHAR, generic VARCHAR, target VARCHAR)")
    con.executemany("INSERT INTO vocab_products VALUES (?, ?, ?, ?)", PRODUCTS)
    con.execute("CREATE OR REPLACE TABLE vocab_product_indications (product VARCHAR, indication_group VARCHAR, approved DATE)")
    # approved before any test quarter: the approval option changes nothing here (the mirror tests it)
    con.executemany("INSERT INTO vocab_product_indications VALUES (?, ?, DATE '2017-01-01')", PRODUCT_INDICATIONS)
    con.execute("CREATE OR REPLACE TABLE vocab_masking_drugs AS SELECT 'LENALIDOMIDE' AS ingredient, 'LENALIDOMIDE' AS ingredient_key")
    con.execute("CREATE OR REPLACE TABLE vocab_indication_groups (indication_group VARCHAR, indi_pt VARCHAR)")
    con.executemany("INSERT INTO vocab_indication_groups VALUES (?, ?)", INDICATION_TERMS)
    con.execute("CREATE OR REPLACE TABLE vocab_event_groups (group_name VARCHAR, pt VARCHAR, subgroup VARCHAR, base_group VARCHAR)")
    con.executemany("INSERT INTO vocab_event_groups VALUES (?, ?, NULL, ?)",
                    [(g, pt, g) for pt, groups in SPM_PTS.items() for g in groups] + [("spm", pt, "x") for pt in SPM_PTS])
    con.execute("ALTER TABLE vocab_event_groups ADD COLUMN pt_key VARCHAR")
    con.execute("UPDATE vocab_event_groups SET pt_key = lower(trim(pt))")
    con.execute("CREATE OR REPLACE TABLE vocab_event_exclusions (pt VARCHAR, pt_key VARCHAR, reason VARCHAR, "
                "applies_to_target VARCHAR)")
    con.execute("CREATE OR REPLACE TABLE vocab_versions (vocabulary VARCHAR, version VARCHAR, date VARCHAR)")
    con.execute("INSERT INTO vocab_versions VALUES ('fake', '0.0.0', '2026-01-01')")
    con.execute("""
        CREATE OR REPLACE VIEW drug_products AS
        SELECT d.primaryid, d.caseid, d.quarter, d.drug_seq, d.role_cod, p.product, 'drugname' AS matched_on,
               d.drugname AS matched_text
        FROM drugs d JOIN vocab_products p ON upper(d.drugname) = p.brand""")
    con.execute("""
        CREATE OR REPLACE VIEW drug_ingredient_lines AS
        SELECT primaryid, caseid, quarter, drug_seq, role_cod, upper(coalesce(prod_ai, drugname)) AS ingredient,
               'prod_ai' AS source
        FROM drugs""")
    con.execute("CREATE OR REPLACE VIEW drug_ingredients AS SELECT * FROM drug_ingredient_lines")
    con.execute("""
        CREATE OR REPLACE VIEW drug_ingredient_texts AS
        SELECT DISTINCT 'prod_ai' AS source, prod_ai AS text, upper(prod_ai) AS ingredient, true AS recognised
        FROM drugs WHERE coalesce(trim(prod_ai), '') <> ''
        UNION ALL
        SELECT DISTINCT 'drugname', drugname, upper(drugname), false
        FROM drugs WHERE coalesce(trim(prod_ai), '') = '' AND drugname IS NOT NULL""")
    con.execute("""
        CREATE OR REPLACE VIEW event_group_reactions AS
        SELECT DISTINCT r.primaryid, r.quarter, r.pt, lower(r.pt) AS pt_key
        FROM reactions r SEMI JOIN vocab_event_groups g ON lower(r.pt) = lower(g.pt)""")
    # the neoplasm relations the study shadows: every planted PT counts, no indication names a neoplasm
    con.execute("""
        CREATE OR REPLACE VIEW vocab_neoplasm_indication_rows AS
        SELECT primaryid, quarter, CAST(NULL AS VARCHAR) AS disease_key FROM indications WHERE false""")
    con.execute("""
        CREATE OR REPLACE VIEW vocab_report_neoplasm_terms AS
        SELECT DISTINCT primaryid, pt, true AS neoplasm, 'malignant' AS malignancy, CAST(NULL AS VARCHAR) AS category,
               CAST(NULL AS VARCHAR) AS subgroup, '' AS qualifiers, 'fake' AS decided_by, 'counted' AS decision,
               CAST(NULL AS VARCHAR) AS exclusion_reason
        FROM event_group_reactions""")
    con.execute("CREATE OR REPLACE VIEW report_neoplasm_terms AS SELECT * FROM vocab_report_neoplasm_terms")
    con.execute("""
        CREATE OR REPLACE VIEW report_event_group_terms AS
        SELECT DISTINCT r.primaryid, g.group_name, g.pt, CAST(NULL AS VARCHAR) AS excluded_reason
        FROM event_group_reactions r JOIN vocab_event_groups g ON r.pt_key = lower(g.pt)""")
    con.execute("""
        CREATE OR REPLACE VIEW report_event_groups AS
        SELECT DISTINCT primaryid, group_name FROM report_event_group_terms""")
    con.execute("""
        CREATE OR REPLACE VIEW indication_group_rows AS
        SELECT DISTINCT i.primaryid, i.quarter, g.indication_group
        FROM indications i JOIN vocab_indication_groups g ON lower(i.indi_pt) = lower(g.indi_pt)""")
    con.execute("""
        CREATE OR REPLACE VIEW report_indication_groups AS
        SELECT DISTINCT primaryid, indication_group FROM indication_group_rows""")
