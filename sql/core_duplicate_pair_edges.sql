-- core_duplicate_pair_edges: the pairs at the threshold as edges, for the connected components (the groups).
SELECT primaryid_l, primaryid_r FROM duplicate_pairs
