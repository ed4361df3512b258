-- The day a team was formed, so that a period's settlement settles only the
-- teams that existed in it. NULL: formed before the kernel recorded it
-- (teams of a database older than this migration, and the demo's).
-- sqlite/ and postgres/ 0014_team_formed_on.sql must stay equivalent.
ALTER TABLE teams ADD COLUMN formed_on TEXT;
