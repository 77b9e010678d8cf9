/*
 * schema.h: the migrations of schema/NNN_name.sql, compiled into the binary
 * by tools/embed-schema.sh (build/gen/schema_sql.c). Applied in order at
 * start-up; PRAGMA user_version holds the number of the last one applied.
 */
#ifndef DB_SCHEMA_H
#define DB_SCHEMA_H

struct schema_migration {
	int version;        /* NNN of the file name */
	const char *name;   /* "001_core" */
	const char *sql;    /* the whole file */
};

/* In version order, ended by an entry with version 0. */
extern const struct schema_migration schema_migrations[];

#endif
