-- vocab_product_near_misses: names that look like a CAR T product but must not match one
-- (faers/data/vocab/product_near_misses.csv); tests assert none of them matches.
create or replace table vocab_product_near_misses as
select text, what, reason
from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
