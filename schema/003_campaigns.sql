-- 003_campaigns: bulk carrier-switch campaigns (DESIGN §8). A campaign is
-- its settings plus one row per CSV line; every row's state is stored so a
-- restart resumes without repeating or losing a row. The counters of the
-- campaigns table move in the same transaction as the row they count, so
-- GET /campaigns/{id} never scans a million rows.

CREATE TABLE campaigns (
	id                    INTEGER PRIMARY KEY AUTOINCREMENT,
	name                  TEXT NOT NULL,
	-- 0 draft, 1 running, 2 paused, 3 completed, 4 cancelled, 5 aborted
	state                 INTEGER NOT NULL CHECK (state BETWEEN 0 AND 5),
	max_in_flight         INTEGER NOT NULL CHECK (max_in_flight > 0),
	max_starts_per_s      REAL NOT NULL CHECK (max_starts_per_s > 0),
	failure_threshold_pct REAL NOT NULL,
	failure_min_sample    INTEGER NOT NULL,
	window_start          INTEGER NOT NULL DEFAULT 0,   -- 0 = none
	window_end            INTEGER NOT NULL DEFAULT 0,
	total                 INTEGER NOT NULL DEFAULT 0,
	n_pending             INTEGER NOT NULL DEFAULT 0,
	n_started             INTEGER NOT NULL DEFAULT 0,   -- in flight
	n_succeeded           INTEGER NOT NULL DEFAULT 0,
	n_failed              INTEGER NOT NULL DEFAULT 0,
	n_skipped             INTEGER NOT NULL DEFAULT 0,
	created_at            INTEGER NOT NULL,
	started_at            INTEGER NOT NULL DEFAULT 0,   -- first start
	ended_at              INTEGER NOT NULL DEFAULT 0,
	updated_at            INTEGER NOT NULL,
	end_reason            TEXT NOT NULL DEFAULT '',
	created_by            TEXT NOT NULL DEFAULT '',
	warnings              TEXT NOT NULL DEFAULT ''      -- one per line
);
CREATE INDEX campaigns_state ON campaigns (state);

-- One row per imported CSV line.
CREATE TABLE campaign_rows (
	campaign_id  INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
	line         INTEGER NOT NULL,
	endpoint     TEXT NOT NULL,
	eid          TEXT NOT NULL DEFAULT '',
	target_kind  INTEGER NOT NULL CHECK (target_kind IN (0, 1)), -- 0 carrier, 1 iccid
	target       TEXT NOT NULL,
	-- 0 pending, 1 started, 2 succeeded, 3 failed, 4 skipped
	state        INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 4),
	job_id       INTEGER NOT NULL DEFAULT 0,
	outcome      TEXT NOT NULL DEFAULT '',
	from_iccid   TEXT NOT NULL DEFAULT '',
	to_iccid     TEXT NOT NULL DEFAULT '',
	result_code  INTEGER NOT NULL DEFAULT -1,
	error        TEXT NOT NULL DEFAULT '',
	started_at   INTEGER NOT NULL DEFAULT 0,
	ended_at     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (campaign_id, line)
) WITHOUT ROWID;
-- The scheduler's next pending rows and the started rows after a restart.
CREATE INDEX campaign_rows_state ON campaign_rows (campaign_id, state, line);
-- A finished job finds its row.
CREATE INDEX campaign_rows_job ON campaign_rows (job_id) WHERE job_id <> 0;
-- Import: is the device already in an unfinished campaign?
CREATE INDEX campaign_rows_endpoint ON campaign_rows (endpoint, state);

-- Uploads in progress: rows land here in batches while the CSV streams in,
-- are validated as a whole, then move to campaign_rows in one transaction
-- or are dropped. Left-overs of a crashed upload are purged at start-up.
CREATE TABLE campaign_staging (
	import_id    INTEGER NOT NULL,
	line         INTEGER NOT NULL,
	endpoint     TEXT NOT NULL DEFAULT '',
	eid          TEXT NOT NULL DEFAULT '',
	target_kind  INTEGER NOT NULL DEFAULT 0,
	target       TEXT NOT NULL DEFAULT '',
	error        TEXT,                          -- NULL = valid so far
	PRIMARY KEY (import_id, line)
) WITHOUT ROWID;
CREATE INDEX campaign_staging_endpoint ON campaign_staging (import_id, endpoint, line);
CREATE INDEX campaign_staging_target ON campaign_staging (import_id, target_kind, target, line);
