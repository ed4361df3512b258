-- The annual renewal (自动续约) walks a county's active contracts of a period
-- in id order, a chunk at a time, and counts what it did per run.
-- sqlite/ and postgres/ 0004_renewal.sql must stay equivalent.
DROP INDEX contracts_by_county_period;
CREATE INDEX contracts_by_county_period ON contracts (county_code, period, status, id);
ALTER TABLE renewal_runs ADD COLUMN not_renewed INTEGER NOT NULL DEFAULT 0;
