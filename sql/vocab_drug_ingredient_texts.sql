-- drug_ingredient_texts: the active ingredients of every distinct drug text of `drugs`, one row per (text, ingredient):
-- source 'prod_ai': FDA's active-ingredient field (since 2014Q3), split on '\' for combinations.
-- source 'drugname': a name of a row without prod_ai, cleaned (vocab_drugname_* macros); where the name carries its
-- ingredient in brackets ('CIPROBAY (CIPROFLOXACIN)') and that is a known ingredient, the bracket text is used.
-- recognised: the ingredient also occurs as a prod_ai ingredient somewhere in the database.
-- drug_ingredient_lines joins the drug rows to these; a question about a few ingredients (the SPM-labelled drugs of
-- the comparator option) takes their texts here and the rows naming those texts, not every row's ingredients.
create or replace view drug_ingredient_texts as
with drug_rows as (
    select drugname, prod_ai, coalesce(trim(prod_ai), '') <> '' as has_prod_ai
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
    select 'prod_ai' as source, prod_ai as text, ingredient, true as recognised
    from prod_ai_ingredients
    where ingredient <> ''
    union all
    select 'drugname' as source, drugname as text, ingredient, recognised
    from name_ingredients
)
select * from final
