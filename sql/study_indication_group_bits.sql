-- study_indication_group_bits: each product indication group as one bit, with the products it is an approved
-- indication of ('all_car_t' for every group), so a report's set of groups is one integer (bit_or) and the
-- indication comparator is counted per set of groups, of which there are few. Vocabulary only: once per selection.
-- $approved_by (a date, or NULL for every listed indication): an indication counts for a product only once FDA
-- approved it for that product by this date (the cutoff's last day), so a 2023 cutoff has no CLL for liso-cel.
CREATE OR REPLACE TABLE study_indication_group_bits AS
WITH approved AS (
    SELECT product, indication_group FROM vocab_product_indications
    WHERE CAST($approved_by AS DATE) IS NULL OR approved <= CAST($approved_by AS DATE)
),
product_indications AS (
    SELECT product, indication_group FROM approved
    UNION
    SELECT 'all_car_t', indication_group FROM approved
),
numbered AS (
    SELECT indication_group, row_number() OVER (ORDER BY indication_group) AS i, count(*) OVER () AS n
    FROM (SELECT DISTINCT indication_group FROM product_indications)
),
final AS (
    SELECT p.indication_group, p.product,
           CASE WHEN g.n <= 62 THEN CAST(1 AS BIGINT) << CAST(g.i - 1 AS BIGINT)
                ELSE error('study_indication_group_bits: more than 62 product indication groups') END AS bit
    FROM product_indications p
    JOIN numbered g ON g.indication_group = p.indication_group
)
SELECT * FROM final;
