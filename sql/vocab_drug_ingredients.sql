-- drug_ingredients: normalised active ingredients of every `drugs` row, one row per ingredient.
-- source 'prod_ai': FDA's active-ingredient field (since 2014Q3), split on '\' for combinations.
-- source 'drugname': no prod_ai, so the cleaned drug name (vocab_drugname_* macros); where the name carries its
-- ingredient in brackets ('CIPROBAY (CIPROFLOXACIN)') and that is a known ingredient, the bracket text is used.
-- recognised: the ingredient also occurs as a prod_ai ingredient somewhere in the database.
create or replace view drug_ingredients as
with drug_rows as (
    select primaryid, caseid, quarter, drug_seq, role_cod, drugname, prod_ai,
           coalesce(trim(prod_ai), '') <> '' as has_prod_ai
    from drugs
),
prod_ai_ingredients as (
    select distinct prod_ai, trim(upper(unnest(string_split(prod_ai, '\')))) as ingredient
    from (select distinct prod_ai from drug_rows where has_prod_ai)
),
known as (
    select distinct ingredient from prod_ai_ingredients where ingredient <> ''
),
names as (
    select distinct drugname from drug_rows where not has_prod_ai and drugname is not null
),
name_parts as (
    select drugname, 'outside' as side, unnest(vocab_ingredient_parts(vocab_drugname_outside(drugname))) as ingredient
    from names
    union all
    select drugname, 'inside' as side, unnest(vocab_ingredient_parts(vocab_drugname_inside(drugname))) as ingredient
    from names
),
name_sides as (
    select p.drugname, p.side, count(*) as parts, count(k.ingredient) as known_parts
    from name_parts p
    left join known k on k.ingredient = p.ingredient
    group by p.drugname, p.side
),
-- prefer the side whose every part is a known ingredient; on a tie the text outside the brackets
chosen as (
    select drugname, side, known_parts = parts as recognised
    from name_sides
    qualify row_number() over (partition by drugname order by known_parts = parts desc, side = 'outside' desc) = 1
),
name_ingredients as (
    select distinct p.drugname, p.ingredient, c.recognised
    from chosen c
    join name_parts p on p.drugname = c.drugname and p.side = c.side
),
final as (
    select distinct d.primaryid, d.caseid, d.quarter, d.drug_seq, d.role_cod, i.ingredient,
           'prod_ai' as source, true as recognised
    from drug_rows d
    join prod_ai_ingredients i on i.prod_ai = d.prod_ai
    where i.ingredient <> ''
    union all
    select distinct d.primaryid, d.caseid, d.quarter, d.drug_seq, d.role_cod, n.ingredient,
           'drugname' as source, n.recognised
    from drug_rows d
    join name_ingredients n on n.drugname = d.drugname
    where not d.has_prod_ai
)
select * from final
