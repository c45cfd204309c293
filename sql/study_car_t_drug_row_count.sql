-- study_car_t_drug_row_count: how many drug rows of the selection's reports name a CAR T product, in any role.
SELECT count(*) FROM study_car_t_drugs;
