-- study_car_t_report_count: how many reports of an exposure name a CAR T product in its roles.
SELECT count(DISTINCT primaryid) FROM study_exposed;
