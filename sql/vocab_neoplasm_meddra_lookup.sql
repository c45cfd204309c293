-- vocab_neoplasm_meddra_lookup: for each term key in $keys, its MedDRA PT and neoplasm HLGT (on the primary SOC
-- path, or any path when $all_paths), from vocab_neoplasm_meddra_terms.
select term_key, min(pt),
       min(hlgt) filter (where hlgt is not null and (primary_path or $all_paths)) as hlgt
from vocab_neoplasm_meddra_terms
where term_key in (select unnest(cast($keys as varchar[])))
group by term_key
