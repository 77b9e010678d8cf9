/*
 * commands.c: the command line of nusimd (DESIGN §10): the daemon, and the
 * subcommands an operator runs without the API (token create, device add,
 * migrate, check, backup, pki init|device, package build). A table maps each subcommand to its handler; each
 * handler reads the common settings (so --db, NUSIMD_DB and the -c file
 * all work) plus its own options. Exit codes: 0 ok, 1 failed, 2 usage.
 */
#include "server/server.h"
#include "server/provision.h"
#include "server/backup.h"
#include "server/log.h"
#include "api/token.h"
#include "crypto/cerr.h"
#include "crypto/codec.h"
#include "crypto/package.h"
#include "crypto/pki.h"
#include "crypto/profile.h"
#include "crypto/seal.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fputs(
"usage: nusimd [-c FILE] [OPTIONS]          run the LwM2M server\n"
"       nusimd token create --db PATH --name NAME --role viewer|operator|admin\n"
"                                           print a new API token on stdout\n"
"       nusimd device add --db PATH --endpoint EP\n"
"                     (--psk-identity ID --psk-key HEX | --nosec)\n"
"                                           provision device credentials\n"
"       nusimd migrate --db PATH            create or upgrade the database\n"
"       nusimd check -c FILE                validate settings and exit\n"
"       nusimd backup --db PATH --to FILE [--force]\n"
"                                           online copy of the database,\n"
"                                           safe while nusimd runs\n"
"       nusimd pki init --dir DIR           a demo CI/DP/CM hierarchy in DIR\n"
"       nusimd pki device --dir DIR --eid EID\n"
"                                           a nuSIM key and certificate\n"
"       nusimd package build --pki-dir DIR --cert NUSIM_CERT.pem --eid EID\n"
"                     (--profile-iccid ICCID --profile-imsi IMSI --carrier NAME\n"
"                      [--ki HEX --opc HEX] [--pad-bytes N] | --profile FILE)\n"
"                                           print the seven Object 507\n"
"                                           resources of a profile package\n"
"                                           as JSON {\"0\": encP, ...}; Ki and\n"
"                                           OPc are random when not given;\n"
"                                           --pad-bytes adds a further TLV\n"
"                                           (tag 0xFE) of N zero bytes\n"
"\n"
"Every option is also a key in the -c file and an NUSIMD_* environment\n"
"variable; a flag wins over the environment, which wins over the file.\n"
"The master key comes from --master-key FILE, else NUSIMD_MASTER_KEY (64\n"
"hex digits), else <db>.key, created for a new database.\n"
"\n"
"options:\n", f);
	config_usage(f);
	fputs("  -h, --help                  this text\n", f);
}

static int usage_error(const char *what, const char *err)
{
	fprintf(stderr, "nusimd%s%s: %s (see nusimd --help)\n", *what ? " " : "",
	        what, err);
	return EXIT_USAGE;
}

static int open_db(const server_config *c, db **d)
{
	char err[512];
	if (db_open(c->db_path, d, err, sizeof err) != DB_OK) {
		fprintf(stderr, "nusimd: %s: %s\n", c->db_path, err);
		return -1;
	}
	return 0;
}

/* ---- token create ------------------------------------------------------- */

static int cmd_token_create(int argc, char **argv, int from)
{
	const char *name = NULL, *role_s = NULL;
	config_opt opts[] = { { "name", 0, &name }, { "role", 0, &role_s } };
	server_config c;
	char err[512], tok[API_TOKEN_LEN + 1];
	uint8_t hash[32];
	db *d = NULL;
	seal_key *k = NULL;
	int64_t id;
	int role, rc = 1;

	if (config_build(&c, argc, argv, from, opts, 2, err, sizeof err) < 0)
		return usage_error("token create", err);
	if (!name || !*name || strlen(name) > 64)
		return usage_error("token create", "--name: 1..64 characters");
	role = role_s ? db_role_from_name(role_s) : 0;
	if (!role)
		return usage_error("token create",
		                   "--role: viewer, operator or admin");
	log_set_level(c.log_level);
	if (open_db(&c, &d) < 0)
		return 1;
	/* Same start-up rules as the daemon, so the key and the database
	 * never drift apart, even if a token is the first thing created. */
	if (server_master_key(d, &c, &k, err, sizeof err) < 0) {
		fprintf(stderr, "nusimd token create: %s\n", err);
		goto out;
	}
	if (api_token_generate(tok)) {
		fprintf(stderr, "nusimd token create: no randomness\n");
		goto out;
	}
	api_token_hash(tok, hash);
	switch (db_token_create(d, name, role, hash, &id)) {
	case DB_OK:
		printf("%s\n", tok);
		fflush(stdout);
		rc = 0;
		break;
	case DB_CONFLICT:
		fprintf(stderr, "nusimd token create: a token named \"%s\" exists\n",
		        name);
		break;
	default:
		fprintf(stderr, "nusimd token create: %s\n", db_errmsg(d));
	}
out:
	OPENSSL_cleanse(tok, sizeof tok);
	seal_key_free(k);
	db_close(d);
	return rc;
}

/* ---- device add ---------------------------------------------------------- */

static int cmd_device_add(int argc, char **argv, int from)
{
	const char *ep = NULL, *id = NULL, *key = NULL, *nosec = NULL;
	config_opt opts[] = {
		{ "endpoint", 0, &ep }, { "psk-identity", 0, &id },
		{ "psk-key", 0, &key }, { "nosec", 1, &nosec },
	};
	server_config c;
	char err[512];
	db *d = NULL;
	seal_key *k = NULL;
	int rc = 1, prc;

	if (config_build(&c, argc, argv, from, opts, 4, err, sizeof err) < 0)
		return usage_error("device add", err);
	if (!ep)
		return usage_error("device add", "--endpoint is required");
	if (nosec && (id || key))
		return usage_error("device add",
		                   "--nosec excludes --psk-identity/--psk-key");
	if (!nosec && (!id || !key))
		return usage_error("device add",
		                   "--psk-identity and --psk-key (or --nosec)");
	log_set_level(c.log_level);
	if (open_db(&c, &d) < 0)
		return 1;
	if (server_master_key(d, &c, &k, err, sizeof err) < 0) {
		fprintf(stderr, "nusimd device add: %s\n", err);
		goto out;
	}
	prc = provision_device(d, k, ep, nosec ? NULL : id, nosec ? NULL : key,
	                       err, sizeof err);
	if (prc == PROVISION_OK)
		rc = 0;
	else
		fprintf(stderr, "nusimd device add: %s\n", err);
	if (prc == PROVISION_INVALID)
		rc = EXIT_USAGE;
out:
	seal_key_free(k);
	db_close(d);
	return rc;
}

/* ---- migrate, check -------------------------------------------------------- */

static int cmd_migrate(int argc, char **argv, int from)
{
	server_config c;
	char err[512];
	db *d = NULL;

	if (config_build(&c, argc, argv, from, NULL, 0, err, sizeof err) < 0)
		return usage_error("migrate", err);
	if (open_db(&c, &d) < 0)
		return 1;
	printf("schema version %d\n", db_schema_version(d));
	db_close(d);
	return 0;
}

static int cmd_check(int argc, char **argv, int from)
{
	server_config c;
	char err[512];

	if (config_build(&c, argc, argv, from, NULL, 0, err, sizeof err) < 0) {
		fprintf(stderr, "nusimd check: %s\n", err);
		return 1;
	}
	if (!c.config_file[0])
		fprintf(stderr, "nusimd check: no -c FILE given; checked the "
		        "environment and flags only\n");
	printf("ok\n");
	return 0;
}

/* ---- backup ---------------------------------------------------------------------- */

static int cmd_backup(int argc, char **argv, int from)
{
	const char *to = NULL, *force = NULL;
	config_opt opts[] = { { "to", 0, &to }, { "force", 1, &force } };
	server_config c;
	char err[512];

	if (config_build(&c, argc, argv, from, opts, 2, err, sizeof err) < 0)
		return usage_error("backup", err);
	if (!to || !*to)
		return usage_error("backup", "--to FILE is required");
	if (backup_run(c.db_path, to, force != NULL, err, sizeof err) < 0) {
		fprintf(stderr, "nusimd backup: %s\n", err);
		return 1;
	}
	printf("%s\n", to);
	return 0;
}

/* ---- pki init, pki device ------------------------------------------------------ */

/* The options of a command that touches no database and no master key:
 * only its own `--flag VALUE` / `--flag=VALUE`, no settings. 0, or the
 * usage exit code after saying what is wrong. */
static int plain_opts(int argc, char **argv, int from, config_opt *opts,
                      size_t nopts, const char *what)
{
	for (int i = from; i < argc; i++) {
		config_opt *hit = NULL;
		const char *a = argv[i], *val = NULL;
		for (size_t j = 0; j < nopts; j++) {
			size_t n = strlen(opts[j].flag);
			if (!strncmp(a, "--", 2) && !strncmp(a + 2, opts[j].flag, n) &&
			    (a[2 + n] == 0 || a[2 + n] == '=')) {
				hit = &opts[j];
				val = a[2 + n] == '=' ? a + 3 + n : NULL;
			}
		}
		if (!hit)
			return usage_error(what, "unexpected argument");
		if (!val) {
			if (i + 1 >= argc)
				return usage_error(what, "option needs a value");
			val = argv[++i];
		}
		*hit->val = val;
	}
	return 0;
}

static int cmd_pki(int argc, char **argv, int from, int device)
{
	const char *dir = NULL, *eid = NULL;
	config_opt opts[] = { { "dir", 0, &dir }, { "eid", 0, &eid } };
	const char *what = device ? "pki device" : "pki init";
	char err[512];
	int rc;

	if ((rc = plain_opts(argc, argv, from, opts, device ? 2 : 1, what)))
		return rc;
	if (!dir || !*dir)
		return usage_error(what, "--dir is required");
	if (device && (!eid || !*eid))
		return usage_error(what, "--eid is required");
	rc = device ? pki_cmd_device(dir, eid, err, sizeof err)
	            : pki_cmd_init(dir, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "nusimd %s: %s\n", what, err);
		return 1;
	}
	return 0;
}

static int cmd_pki_init(int argc, char **argv, int from)
{
	return cmd_pki(argc, argv, from, 0);
}

static int cmd_pki_device(int argc, char **argv, int from)
{
	return cmd_pki(argc, argv, from, 1);
}

/* ---- package build --------------------------------------------------------- */

/* The nuSIM certificate: PEM (or DER) file into malloc'ed DER. */
static int read_cert_der(const char *path, uint8_t **der, size_t *len,
                         char *err, size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	unsigned char *out = NULL;
	X509 *x = NULL;
	if (pki_read_file(path, 65536, &buf, &n, err, errlen))
		return -1;
	BIO *b = BIO_new_mem_buf(buf, (int)n);
	if (b)
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!x) {
		const unsigned char *p = (const unsigned char *)buf;
		x = d2i_X509(NULL, &p, (long)n);
	}
	free(buf);
	int dn = x ? i2d_X509(x, &out) : -1;
	X509_free(x);
	if (dn <= 0) {
		snprintf(err, errlen, "%s: not a PEM or DER certificate", path);
		return -1;
	}
	*der = out; /* OPENSSL_free */
	*len = (size_t)dn;
	return 0;
}

/* The profile from the flags (Ki/OPc random unless given) or a container
 * file; encoded into enc. */
static int package_profile(const char *iccid, const char *imsi,
                           const char *carrier, const char *ki,
                           const char *opc, const char *pad,
                           const char *file, uint8_t *enc, size_t *enclen,
                           char *err, size_t errlen)
{
	struct profile p;
	int rc = -1;
	memset(&p, 0, sizeof p);
	if (file) {
		char *buf = NULL;
		size_t n = 0;
		if (pki_read_file(file, PROFILE_MAX, &buf, &n, err, errlen))
			return -1;
		rc = profile_decode((const uint8_t *)buf, n, &p, err, errlen) ? -1 : 0;
		seal_wipe_free(buf, n);
	} else if (snprintf(p.iccid, sizeof p.iccid, "%s", iccid) >=
	                   (int)sizeof p.iccid ||
	           snprintf(p.imsi, sizeof p.imsi, "%s", imsi) >= (int)sizeof p.imsi ||
	           snprintf(p.carrier, sizeof p.carrier, "%s", carrier) >=
	                   (int)sizeof p.carrier) {
		snprintf(err, errlen, "--profile-iccid, --profile-imsi or --carrier "
		         "too long");
	} else if ((ki && crypto_hex_decode(ki, strlen(ki), p.ki, sizeof p.ki)) ||
	           (opc && crypto_hex_decode(opc, strlen(opc), p.opc,
	                                     sizeof p.opc))) {
		snprintf(err, errlen, "--ki and --opc are 32 hex digits");
	} else if ((!ki && RAND_bytes(p.ki, sizeof p.ki) != 1) ||
	           (!opc && RAND_bytes(p.opc, sizeof p.opc) != 1)) {
		snprintf(err, errlen, "no randomness for Ki/OPc");
	} else {
		rc = 0;
	}
	if (!rc && pad) {
		static const uint8_t zeros[PROFILE_MAX];
		char *end;
		long n = strtol(pad, &end, 10);
		if (end == pad || *end || n < 0 || n > PROFILE_MAX) {
			snprintf(err, errlen, "--pad-bytes must be 0 to %d", PROFILE_MAX);
			rc = -1;
		} else if (n > 0 && profile_add_extra(&p, 0xFE, zeros, (size_t)n, err,
		                                      errlen)) {
			rc = -1;
		}
	}
	if (!rc && profile_encode(&p, enc, PROFILE_MAX, enclen, err, errlen))
		rc = -1;
	profile_clear(&p);
	return rc;
}

static int cmd_package_build(int argc, char **argv, int from)
{
	const char *dir = NULL, *certf = NULL, *eid = NULL, *iccid = NULL,
	           *imsi = NULL, *carrier = NULL, *ki = NULL, *opc = NULL,
	           *pad = NULL, *file = NULL;
	config_opt opts[] = {
		{ "pki-dir", 0, &dir }, { "cert", 0, &certf }, { "eid", 0, &eid },
		{ "profile-iccid", 0, &iccid }, { "profile-imsi", 0, &imsi },
		{ "carrier", 0, &carrier }, { "ki", 0, &ki }, { "opc", 0, &opc },
		{ "pad-bytes", 0, &pad }, { "profile", 0, &file },
	};
	const char *what = "package build";
	char err[512];
	uint8_t enc[PROFILE_MAX], *der = NULL;
	size_t enclen = 0, derlen = 0;
	pkg_dp *dp = NULL;
	pkg_507 pk;
	json_t *j = NULL;
	int rc;

	memset(&pk, 0, sizeof pk);
	if ((rc = plain_opts(argc, argv, from, opts, 10, what)))
		return rc;
	if (!dir || !certf || !eid)
		return usage_error(what, "--pki-dir, --cert and --eid are required");
	if (!file && (!iccid || !imsi || !carrier))
		return usage_error(what, "--profile-iccid, --profile-imsi and "
		                   "--carrier (or --profile FILE) are required");
	if (file && (iccid || imsi || carrier || ki || opc || pad))
		return usage_error(what, "--profile FILE excludes the profile flags");
	rc = 1;
	if (package_profile(iccid, imsi, carrier, ki, opc, pad, file, enc, &enclen,
	                    err, sizeof err) ||
	    read_cert_der(certf, &der, &derlen, err, sizeof err) ||
	    pki_load_dp(dir, &dp, err, sizeof err) ||
	    pkg_build(dp, der, derlen, eid, enc, enclen, &pk, err, sizeof err)) {
		fprintf(stderr, "nusimd %s: %s\n", what, err);
		goto out;
	}
	if (!(j = json_object()))
		goto out;
	for (int i = 0; i < PKG_NRES; i++) {
		char key[4];
		snprintf(key, sizeof key, "%d", i);
		if (json_object_set_new(j, key, json_string(pk.res[i])))
			goto out;
	}
	if (json_dumpf(j, stdout, JSON_COMPACT) == 0 && fputc('\n', stdout) != EOF &&
	    fflush(stdout) == 0)
		rc = 0;
out:
	OPENSSL_cleanse(enc, sizeof enc);
	json_decref(j);
	pkg_507_free(&pk);
	pkg_dp_free(dp);
	OPENSSL_free(der);
	return rc;
}

/* ---- dispatch ----------------------------------------------------------------- */

struct command {
	const char *word1, *word2;   /* word2 NULL: a one-word command */
	int (*fn)(int argc, char **argv, int from);
};

static const struct command commands[] = {
	{ "token", "create", cmd_token_create },
	{ "device", "add", cmd_device_add },
	{ "migrate", NULL, cmd_migrate },
	{ "check", NULL, cmd_check },
	{ "backup", NULL, cmd_backup },
	{ "pki", "init", cmd_pki_init },
	{ "pki", "device", cmd_pki_device },
	{ "package", "build", cmd_package_build },
};

static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

int nusimd_main(int argc, char **argv)
{
	server_config c;
	char err[512];

	if (wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && argv[1][0] != '-') {
		for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
			const struct command *cmd = &commands[i];
			if (strcmp(argv[1], cmd->word1))
				continue;
			if (!cmd->word2)
				return cmd->fn(argc, argv, 2);
			if (argc > 2 && !strcmp(argv[2], cmd->word2))
				return cmd->fn(argc, argv, 3);
		}
		fprintf(stderr, "nusimd: unknown command \"%s%s%s\" (see nusimd "
		        "--help)\n", argv[1], argc > 2 ? " " : "",
		        argc > 2 ? argv[2] : "");
		return EXIT_USAGE;
	}
	if (config_build(&c, argc, argv, 1, NULL, 0, err, sizeof err) < 0)
		return usage_error("", err);
	return server_run(&c, argc, argv, 1);
}
