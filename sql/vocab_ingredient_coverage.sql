-- vocab_ingredient_coverage: drug rows in all, and how many drug_ingredients maps through prod_ai, through a
-- recognised drug name, through an unrecognised one (faers vocab ingredients).
with per_row as (
    select primaryid, drug_seq, quarter, role_cod,
           bool_or(source = 'prod_ai') as via_prod_ai,
           bool_or(source = 'drugname' and recognised) as via_recognised_name,
           bool_or(source = 'drugname') as via_name
    from drug_ingredient_lines
    group by primaryid, drug_seq, quarter, role_cod
),
drug_rows as (
    select distinct primaryid, drug_seq, quarter, role_cod from drugs
)
select
    count(*) as total,
    count(*) filter (where p.via_prod_ai) as prod_ai,
    count(*) filter (where not p.via_prod_ai and p.via_recognised_name) as drugname_recognised,
    count(*) filter (where not p.via_prod_ai and not p.via_recognised_name and p.via_name) as drugname_unrecognised
from drug_rows d
left join per_row p using (primaryid, drug_seq, quarter, role_cod)
