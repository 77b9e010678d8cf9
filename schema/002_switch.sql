-- 002_switch: the carrier switch (DESIGN §7): the profile inventory, the
-- 507 instances each device holds, switch and stage jobs with their
-- transitions, the audit trail and the event log behind /events.
-- The inventory invariants live here as constraints and triggers, so no
-- code path (nor a hand-run SQL statement) can break them.

-- Carrier profiles. The container (crypto/profile.h) is stored only sealed
-- (aad "profile:<iccid>"). A profile is in one place at a time: endpoint
-- names the one device it is reserved for or installed on.
CREATE TABLE profiles (
	iccid      TEXT PRIMARY KEY NOT NULL
	           CHECK (length(iccid) BETWEEN 18 AND 20 AND iccid NOT GLOB '*[^0-9]*'),
	imsi       TEXT NOT NULL,
	carrier    TEXT NOT NULL CHECK (length(carrier) BETWEEN 1 AND 64),
	sealed     BLOB NOT NULL,
	state      TEXT NOT NULL DEFAULT 'available'
	           CHECK (state IN ('available', 'reserved', 'installed',
	                            'quarantined', 'retired')),
	endpoint   TEXT,
	job_id     INTEGER,
	loaded     INTEGER NOT NULL DEFAULT 0 CHECK (loaded IN (0, 1)),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	-- available means "in the pool, nobody's"; reserved and installed
	-- always name their device.
	CHECK ((state = 'available') = (endpoint IS NULL)),
	CHECK (state NOT IN ('reserved', 'installed') OR endpoint IS NOT NULL)
);
CREATE INDEX profiles_pool ON profiles (carrier, state, iccid);
CREATE INDEX profiles_endpoint ON profiles (endpoint) WHERE endpoint IS NOT NULL;

-- A profile that went into a Load Profile never goes back to the pool:
-- its fate on the nuSIM is not ours to know.
CREATE TRIGGER profiles_loaded_stays BEFORE UPDATE OF loaded ON profiles
	WHEN OLD.loaded = 1 AND NEW.loaded = 0
BEGIN
	SELECT RAISE(ABORT, 'profile was loaded: the mark cannot be undone');
END;
CREATE TRIGGER profiles_no_reuse BEFORE UPDATE OF state ON profiles
	WHEN NEW.state = 'available' AND (OLD.loaded = 1 OR NEW.loaded = 1)
BEGIN
	SELECT RAISE(ABORT, 'profile was loaded: it cannot return to the pool');
END;
-- Only the pool hands out profiles: reserving means available -> reserved.
CREATE TRIGGER profiles_reserve_from_pool BEFORE UPDATE OF state ON profiles
	WHEN NEW.state = 'reserved' AND OLD.state NOT IN ('available', 'reserved')
BEGIN
	SELECT RAISE(ABORT, 'only an available profile can be reserved');
END;
CREATE TRIGGER profiles_one_device BEFORE UPDATE OF endpoint ON profiles
	WHEN OLD.endpoint IS NOT NULL AND NEW.endpoint IS NOT NULL
	     AND OLD.endpoint <> NEW.endpoint
BEGIN
	SELECT RAISE(ABORT, 'profile belongs to another device');
END;
CREATE TRIGGER profiles_retired_final BEFORE UPDATE OF state ON profiles
	WHEN OLD.state = 'retired' AND NEW.state <> 'retired'
BEGIN
	SELECT RAISE(ABORT, 'a retired profile stays retired');
END;

-- The Object 507 instances nusimd wrote to a device. role: staged (written,
-- not loaded), active (the loaded profile), fallback (the one before,
-- kept so the device can fall back). An ICCID sits in one instance of one
-- device at most; one staged profile per carrier and device.
CREATE TABLE device_instances (
	endpoint   TEXT NOT NULL,
	instance   INTEGER NOT NULL CHECK (instance BETWEEN 0 AND 65534),
	iccid      TEXT NOT NULL UNIQUE REFERENCES profiles (iccid),
	carrier    TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('staged', 'active', 'fallback')),
	job_id     INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (endpoint, instance)
) WITHOUT ROWID;
CREATE UNIQUE INDEX device_instances_staged ON device_instances (endpoint, carrier)
	WHERE role = 'staged';
CREATE UNIQUE INDEX device_instances_active ON device_instances (endpoint)
	WHERE role = 'active';

-- Switch and stage jobs. final = 0 while the job runs; the partial unique
-- index keeps one running job per device.
CREATE TABLE jobs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL CHECK (kind IN ('switch', 'stage')),
	endpoint    TEXT NOT NULL CHECK (length(endpoint) > 0),
	carrier     TEXT NOT NULL DEFAULT '',
	want_iccid  TEXT NOT NULL DEFAULT '',
	to_iccid    TEXT NOT NULL DEFAULT '',
	from_iccid  TEXT NOT NULL DEFAULT '',
	eid         TEXT NOT NULL DEFAULT '',
	instance    INTEGER NOT NULL DEFAULT -1,
	state       TEXT NOT NULL,
	final       INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1)),
	attempts    INTEGER NOT NULL DEFAULT 0,
	result_code INTEGER NOT NULL DEFAULT -1,
	error       TEXT NOT NULL DEFAULT '',
	retryable   INTEGER NOT NULL DEFAULT 0,
	load_sent   INTEGER NOT NULL DEFAULT 0 CHECK (load_sent IN (0, 1)),
	deadline    INTEGER NOT NULL DEFAULT 0,
	origin      TEXT NOT NULL DEFAULT '',
	campaign_id INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_one_active ON jobs (endpoint) WHERE final = 0;
CREATE INDEX jobs_state ON jobs (state, id);
CREATE INDEX jobs_endpoint ON jobs (endpoint, id);
-- Once Load Profile was sent, no later write may pretend it was not.
CREATE TRIGGER jobs_load_sent_stays BEFORE UPDATE OF load_sent ON jobs
	WHEN OLD.load_sent = 1 AND NEW.load_sent = 0
BEGIN
	SELECT RAISE(ABORT, 'job already sent Load Profile');
END;
CREATE TRIGGER jobs_final_stays BEFORE UPDATE ON jobs
	WHEN OLD.final = 1
BEGIN
	SELECT RAISE(ABORT, 'job has ended');
END;

-- Every state a job entered, with the time in milliseconds.
CREATE TABLE job_transitions (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	job_id  INTEGER NOT NULL REFERENCES jobs (id),
	state   TEXT NOT NULL,
	at_ms   INTEGER NOT NULL,
	detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_transitions_job ON job_transitions (job_id, id);

-- Who did what, when: operator actions (actor = token name) and job
-- outcomes (actor = "nusimd").
CREATE TABLE audit (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	at     INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);

-- The event log of /events: ids are the SSE event ids, so a client
-- resumes with Last-Event-ID. Old rows are pruned.
CREATE TABLE events (
	id    INTEGER PRIMARY KEY AUTOINCREMENT,
	at_ms INTEGER NOT NULL,
	type  TEXT NOT NULL,
	data  TEXT NOT NULL
);
