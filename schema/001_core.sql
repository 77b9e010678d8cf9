-- 001_core: the tables of the storage layer (db/db.h): settings, API
-- tokens, device credentials, registrations, device-management requests and
-- observations. Every hot query of the server has an index here, so one
-- node carries a million devices (DESIGN §11).

-- The server's own settings (e.g. the check value of the master key).
CREATE TABLE meta (
	key   TEXT PRIMARY KEY NOT NULL,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- API tokens: only the SHA-256 of a token is stored.
CREATE TABLE tokens (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	name         TEXT NOT NULL,
	role         INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),
	hash         BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER NOT NULL DEFAULT 0
);

-- Device credentials. NoSec devices have psk_identity '' and no key; an
-- identity that is set names exactly one endpoint (DESIGN §4).
CREATE TABLE devices (
	endpoint     TEXT PRIMARY KEY NOT NULL CHECK (length(endpoint) > 0),
	psk_identity TEXT NOT NULL DEFAULT '',
	psk_sealed   BLOB,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX devices_identity ON devices (psk_identity)
	WHERE psk_identity <> '';

-- Registrations. No foreign key to devices: NoSec devices register without
-- a devices row.
CREATE TABLE registrations (
	endpoint      TEXT PRIMARY KEY NOT NULL CHECK (length(endpoint) > 0),
	reg_id        TEXT NOT NULL UNIQUE CHECK (length(reg_id) > 0),
	version       TEXT NOT NULL,
	binding       TEXT NOT NULL,
	queue_mode    INTEGER NOT NULL DEFAULT 0,
	lifetime      INTEGER NOT NULL,
	links         TEXT,
	addr          TEXT NOT NULL,
	transport     TEXT NOT NULL,
	psk_identity  TEXT NOT NULL DEFAULT '',
	registered_at INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL
);
CREATE INDEX registrations_expires ON registrations (expires_at);

-- Device-management requests; the QUEUED ones form the per-device queue.
-- AUTOINCREMENT: ids are job references given to operators, never reused.
CREATE TABLE requests (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	endpoint    TEXT NOT NULL,
	op          INTEGER NOT NULL,
	path        TEXT NOT NULL,
	format      INTEGER NOT NULL DEFAULT -1,
	accept      INTEGER NOT NULL DEFAULT -1,
	payload     BLOB,
	query       TEXT,
	state       INTEGER NOT NULL CHECK (state BETWEEN 0 AND 5),
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL DEFAULT 0,
	sent_at     INTEGER NOT NULL DEFAULT 0,
	done_at     INTEGER NOT NULL DEFAULT 0,
	coap_code   INTEGER NOT NULL DEFAULT 0,
	resp_format INTEGER NOT NULL DEFAULT -1,
	resp        BLOB,
	error       TEXT NOT NULL DEFAULT '',
	origin      TEXT NOT NULL DEFAULT ''
);
-- The queue of one device, oldest first.
CREATE INDEX requests_endpoint_state ON requests (endpoint, state, id);
-- Expiry scan, requeue after restart, counts per state.
CREATE INDEX requests_state_expires ON requests (state, expires_at);

-- Observations: notifications are matched by token, which survives a
-- restart of nusimd (NOTES-libs §3).
CREATE TABLE observations (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	endpoint      TEXT NOT NULL,
	path          TEXT NOT NULL,
	token         BLOB NOT NULL UNIQUE
	              CHECK (length(token) BETWEEN 1 AND 8),
	active        INTEGER NOT NULL DEFAULT 1,
	format        INTEGER NOT NULL DEFAULT -1,
	last          BLOB,
	notifications INTEGER NOT NULL DEFAULT 0,
	started_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	UNIQUE (endpoint, path)
);
