-- 005_certificates: nuSIM certificates imported by the operator (DESIGN §6
-- step 1). 508/3 is optional in the object; for a device that does not
-- expose it the switch takes the certificate of its EID from here, as the
-- chip maker delivered it. Only certificates that chained to a CM root and
-- named their EID as subject serialNumber at import get in; the switch
-- checks them again, as it checks a 508/3.
CREATE TABLE nusim_certificates (
	eid         TEXT PRIMARY KEY NOT NULL
	            CHECK (length(eid) = 32 AND eid NOT GLOB '*[^0-9]*'),
	der         BLOB NOT NULL CHECK (length(der) BETWEEN 1 AND 16384),
	imported_by TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
