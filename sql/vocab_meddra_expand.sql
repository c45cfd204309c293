-- vocab_meddra_expand: the PTs under a MedDRA term ($term at $level, case-insensitive; an SMQ's $scope narrow or
-- broad, broad including narrow), every path counted.
select distinct pt from meddra_term_pts
where level = $level and lower(term) = lower($term)
  and (scope is null or scope = 'narrow' or $scope = 'broad')
order by pt
