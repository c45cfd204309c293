-- core_duplicate_model_levels: the trained m/u per comparison level, and lambda, of the last `faers duplicates`.
SELECT comparison, level, m_probability, u_probability FROM duplicate_model
