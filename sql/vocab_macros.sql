-- vocab_macros: text normalisation shared by the vocabulary views (mirrored in faers/vocab/normalise.py).
-- vocab_compact_key: upper-case, accents stripped, every character other than A-Z/0-9 removed, so that
-- 'KTE-C19', 'kte c19' and 'KTE_C19' compare equal and trailing punctuation never matters.
create or replace macro vocab_compact_key(text) as
    upper(regexp_replace(strip_accents(coalesce(text, '')), '[^A-Za-z0-9]', '', 'g'));

-- vocab_word_key: the same, but runs of other characters become one space and the result is padded with
-- spaces, so a variant can be required to appear as whole words (' AUTO1 ' in ' PEN AUTO1 ').
create or replace macro vocab_word_key(text) as
    ' ' || trim(upper(regexp_replace(strip_accents(coalesce(text, '')), '[^A-Za-z0-9]+', ' ', 'g'))) || ' ';

-- Drug-name cleaning for the ingredient fallback (rows without prod_ai). Mirrored by
-- faers/vocab/normalise.py; tests check both give the same result on every name in the shared samples.

-- vocab_drugname_outside: the name with bracketed text and trailing WHO-DD codes ('/07403001/', '/NET/')
-- removed. 'BRAND//INGREDIENT' (a convention of some reporters) keeps the part after the last '//'.
create or replace macro vocab_drugname_outside(text) as
    regexp_replace(
        regexp_replace(
            regexp_replace(upper(strip_accents(coalesce(text, ''))), '^.*//', ''),
            '\([^)]*\)?|\[[^\]]*\]?', ' ', 'g'),
        '\s/[^/]*/\s*$', ' ');

-- vocab_drugname_inside: the text of the first bracket, which often holds the ingredient
-- ('CIPROBAY (CIPROFLOXACIN)', 'CLARADIN [ACETYLSALICYLIC ACID]').
create or replace macro vocab_drugname_inside(text) as
    coalesce(regexp_extract(upper(strip_accents(coalesce(text, ''))), '[\(\[]([^\)\]]*)[\)\]]', 1), '');

-- vocab_ingredient_parts: strength/dose text removed, combination split on / + ; \ & AND WITH, dosage-form and
-- packaging words removed, punctuation dropped; parts without two consecutive letters are dropped.
create or replace macro vocab_ingredient_parts(text) as
    list_filter(
        list_transform(
            regexp_split_to_array(
                regexp_replace(
                    regexp_replace(upper(coalesce(text, '')), '\d+([.,]\d+)?\s*%', ' ', 'g'),
                    '\b\d+([.,]\d+)?\s*(X\s*10\s*\^?\s*\d+\s*)?(MG|MCG|UG|NG|G|GM|GRAMS?|KG|ML|L|IU|UNITS?|MEQ|MMOL|CELLS?)\b(\s*/\s*(ML|L|KG|G|DOSE|H|HR|HOUR|M2|ACTUATION|SPRAY)\b)?',
                    ' ', 'g'),
                '\s*(/|\+|;|\\|&|\bAND\b|\bWITH\b)\s*'),
            lambda part: regexp_replace(
                regexp_replace(
                    regexp_replace(
                        regexp_replace(
                            regexp_replace(part,
                                '\b(TABLETS?|TABS?|CAPLETS?|CAPSULES?|CAPS?|INJECTIONS?|INJ|INJECTABLE|SOLUTION|SOLN|SUSPENSION|SUSP|CREAM|OINTMENT|GEL|LOTION|SPRAY|SYRUP|DROPS?|EYE|EAR|NASAL|ORAL|PATCH(ES)?|POWDER|INHALER|INHALATION|INHALANT|AEROSOL|FOAM|FILM|COATED|EXTENDED|RELEASE|DELAYED|SUSTAINED|MODIFIED|CONTROLLED|XR|ER|SR|XL|CR|DR|ODT|VIALS?|AMPOULES?|AMPULES?|PREFILLED|PRE-FILLED|SYRINGES?|PENS?|AUTOINJECTOR|CARTRIDGES?|BOTTLE|PACK|KIT|INFUSION|INTRAVENOUS|IV|IM|SC|SUBCUTANEOUS|INTRAMUSCULAR|TOPICAL|LIQUID|ELIXIR|SUPPOSITOR(Y|IES)|LOZENGES?|CHEWABLE|EFFERVESCENT|GRANULES|CONCENTRATE|EMULSION|DEPOT|UNK|UNKNOWN|FORMULATION|STRENGTH|DOSE|DOSAGE|MG|MCG|ML|CELLS|FOR)\b',
                                ' ', 'g'),
                            '\b\d+([.,]\d+)*\b', ' ', 'g'),
                        '[^A-Z0-9 \-]', ' ', 'g'),
                    '\s-+|-+\s|-+$|^-+', ' ', 'g'),
                '^\s+|\s+$|\s+(\s)', '\1', 'g')),
        lambda part: regexp_matches(part, '[A-Z][A-Z]'));
