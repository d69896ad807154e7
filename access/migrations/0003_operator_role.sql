-- Programme staff who handle applications and imagery requests without changing the catalogue.
ALTER TYPE dinamis_access.user_role ADD VALUE IF NOT EXISTS 'operator' BEFORE 'admin';
