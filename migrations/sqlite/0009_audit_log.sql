-- The audit log (审计日志): every decision on a resident's data and every
-- change to the region's rules, with the policies that decided. Rows are
-- only added. Residents are named by kernel id, never by citizen ID.
-- sqlite/ and postgres/ 0009_audit_log.sql must stay equivalent.
CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,
    principal      TEXT NOT NULL,
    role           TEXT NOT NULL,
    action         TEXT NOT NULL,
    resource       TEXT NOT NULL,
    resident       TEXT,
    county         TEXT,
    -- 'allow' or 'deny'.
    decision       TEXT NOT NULL,
    -- JSON array of policy ids (file.cedar#id).
    policies       TEXT NOT NULL,
    policy_version BIGINT NOT NULL,
    -- JSON: the principal's role, county and team and the resource's facts,
    -- as policy cases state them, to take the decision again.
    facts          TEXT NOT NULL
);
CREATE INDEX audit_log_resident ON audit_log (resident, seq);
CREATE INDEX audit_log_at ON audit_log (at);
