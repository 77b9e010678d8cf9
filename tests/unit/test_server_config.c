/*
 * test_server_config.c: settings precedence (flag > env > file > default),
 * bad keys and values named in the error, the host:port splitter.
 */
#include "tests/unit/unit.h"
#include "server/config.h"
#include "server/log.h"

#include <unistd.h>

/* Config fields are 1 KiB arrays: CHECK_EQ_STR would trip -Wformat-truncation. */
#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void clear_env(void)
{
	unsetenv("NUSIMD_DB");
	unsetenv("NUSIMD_COAP");
	unsetenv("NUSIMD_HTTP");
	unsetenv("NUSIMD_LOG_LEVEL");
	unsetenv("NUSIMD_CONFIG");
	unsetenv("NUSIMD_ALLOW_NOSEC");
}

TEST(defaults)
{
	server_config c;
	config_defaults(&c);
	CHECK_STR(c.db_path, "nusimd.db");
	CHECK_STR(c.coap_listen, "0.0.0.0:5683");
	CHECK_STR(c.coaps_listen, "0.0.0.0:5684");
	CHECK_STR(c.http_listen, "127.0.0.1:8080");
	CHECK_EQ_INT(c.allow_nosec, 0);
	CHECK_EQ_INT(c.log_level, NLOG_INFO);
	CHECK_EQ_INT(c.session_idle_timeout_s, 300);
}

TEST(precedence_flag_env_file_default)
{
	char path[] = "/tmp/nusimd-cfg-XXXXXX", err[256];
	int fd = mkstemp(path);
	server_config c;
	char *argv[] = { "nusimd", "-c", path, "--db", "flag.db", NULL };
	CHECK(fd >= 0);
	close(fd);
	clear_env();
	write_file(path, "# comment\n db = file.db\ncoap_listen = 127.0.0.1:0\n"
	                 "http_listen = \"127.0.0.1:9\"\nlog_level = debug\n");
	setenv("NUSIMD_COAP", "127.0.0.2:7", 1);
	setenv("NUSIMD_DB", "env.db", 1);
	CHECK_EQ_INT(config_build(&c, 5, argv, 1, NULL, 0, err, sizeof err), 0);
	CHECK_STR(c.db_path, "flag.db");          /* flag over env and file */
	CHECK_STR(c.coap_listen, "127.0.0.2:7");  /* env over file */
	CHECK_STR(c.http_listen, "127.0.0.1:9");  /* file over default */
	CHECK_STR(c.coaps_listen, "0.0.0.0:5684");/* default */
	CHECK_EQ_INT(c.log_level, NLOG_DEBUG);
	CHECK_STR(c.config_file, path);
	clear_env();
	unlink(path);
}

TEST(bad_key_in_file_is_named)
{
	char path[] = "/tmp/nusimd-cfg-XXXXXX", err[256];
	int fd = mkstemp(path);
	server_config c;
	CHECK(fd >= 0);
	close(fd);
	write_file(path, "db = x.db\n\ncoap_lisen = 1.2.3.4:5\n");
	config_defaults(&c);
	CHECK(config_load_file(&c, path, err, sizeof err) < 0);
	CHECK(strstr(err, "coap_lisen") != NULL);
	CHECK(strstr(err, ":3:") != NULL);
	write_file(path, "session_idle_timeout = -5\n");
	CHECK(config_load_file(&c, path, err, sizeof err) < 0);
	CHECK(strstr(err, "session_idle_timeout") != NULL);
	write_file(path, "allow_nosec = maybe\n");
	CHECK(config_load_file(&c, path, err, sizeof err) < 0);
	CHECK(strstr(err, "allow_nosec") != NULL);
	write_file(path, "coaps_listen = 127.0.0.1\n");
	CHECK(config_load_file(&c, path, err, sizeof err) < 0);
	CHECK(strstr(err, "coaps_listen") != NULL);
	write_file(path, "no equals sign\n");
	CHECK(config_load_file(&c, path, err, sizeof err) < 0);
	unlink(path);
}

TEST(flags_bool_off_and_extras)
{
	char err[256];
	const char *name = NULL, *nosec = NULL;
	config_opt extra[] = { { "name", 0, &name }, { "nosec", 1, &nosec } };
	char *argv[] = { "x", "--allow-nosec", "--coap=off", "--name", "n1",
	                 "--nosec", "--log-level=warn", NULL };
	server_config c;
	clear_env();
	CHECK_EQ_INT(config_build(&c, 7, argv, 1, extra, 2, err, sizeof err), 0);
	CHECK_EQ_INT(c.allow_nosec, 1);
	CHECK_STR(c.coap_listen, "off");
	CHECK_EQ_STR(name, "n1");
	CHECK_EQ_STR(nosec, "true");
	CHECK_EQ_INT(c.log_level, NLOG_WARN);
}

TEST(bad_flags_fail)
{
	char err[256];
	server_config c;
	char *a1[] = { "x", "--bogus", "1", NULL };
	char *a2[] = { "x", "--db", NULL };
	char *a3[] = { "x", "positional", NULL };
	char *a4[] = { "x", "--http", "localhost:99999", NULL };
	clear_env();
	CHECK(config_build(&c, 3, a1, 1, NULL, 0, err, sizeof err) < 0);
	CHECK(strstr(err, "bogus") != NULL);
	CHECK(config_build(&c, 2, a2, 1, NULL, 0, err, sizeof err) < 0);
	CHECK(config_build(&c, 2, a3, 1, NULL, 0, err, sizeof err) < 0);
	CHECK(config_build(&c, 3, a4, 1, NULL, 0, err, sizeof err) < 0);
	CHECK(strstr(err, "http_listen") != NULL);
	setenv("NUSIMD_LOG_LEVEL", "loud", 1);
	CHECK(config_build(&c, 1, a1, 1, NULL, 0, err, sizeof err) < 0);
	CHECK(strstr(err, "NUSIMD_LOG_LEVEL") != NULL);
	clear_env();
}

TEST(split_hostport)
{
	char h[64];
	unsigned p;
	CHECK_EQ_INT(config_split_hostport("127.0.0.1:0", h, sizeof h, &p), 0);
	CHECK_EQ_STR(h, "127.0.0.1");
	CHECK_EQ_INT(p, 0);
	CHECK_EQ_INT(config_split_hostport("[::1]:5683", h, sizeof h, &p), 0);
	CHECK_EQ_STR(h, "::1");
	CHECK_EQ_INT(p, 5683);
	CHECK(config_split_hostport("::1:5683", h, sizeof h, &p) < 0);
	CHECK(config_split_hostport(":5683", h, sizeof h, &p) < 0);
	CHECK(config_split_hostport("a:", h, sizeof h, &p) < 0);
	CHECK(config_split_hostport("a:65536", h, sizeof h, &p) < 0);
	CHECK(config_split_hostport("a b:1", h, sizeof h, &p) < 0);
}

/* ---- every key of the table, three ways (table-driven) ---------------- */

/* A valid value of key k that differs from its default. */
static void good_value(const config_key_desc *k, int variant, char *out,
                       size_t len)
{
	switch (k->type) {
	case CONFIG_T_STR:
		snprintf(out, len, "/tmp/v%d-%s", variant, k->name);
		break;
	case CONFIG_T_ADDR:
	case CONFIG_T_ADDR_OFF:
		snprintf(out, len, "127.0.0.%d:%d", 2 + variant, 1000 + variant);
		break;
	case CONFIG_T_BOOL:
		/* variant 0 flips the default; 1 flips it back */
		snprintf(out, len, "%s", (!strcmp(k->def, "true")) ^ variant ? "false"
		                                                        : "true");
		break;
	case CONFIG_T_LEVEL:
		snprintf(out, len, "%s", variant ? "error" : "debug");
		break;
	default: {
		long long v = variant ? k->min : k->max;
		if (!strcmp(k->def, variant ? "" : "x"))
			v = k->min;
		if (v == atoll(k->def))
			v = variant ? k->min + 1 : k->max - 1;
		snprintf(out, len, "%lld", v);
	}
	}
}

/* A value key k must refuse. */
static void bad_value(const config_key_desc *k, char *out, size_t len)
{
	switch (k->type) {
	case CONFIG_T_STR:
		memset(out, 'x', len - 1);   /* longer than any field */
		out[len - 1] = 0;
		break;
	case CONFIG_T_ADDR:
	case CONFIG_T_ADDR_OFF:
		snprintf(out, len, "no-port-here");
		break;
	case CONFIG_T_BOOL:
		snprintf(out, len, "maybe");
		break;
	case CONFIG_T_LEVEL:
		snprintf(out, len, "loud");
		break;
	default:
		snprintf(out, len, "%lld", (long long)k->max + 1);
	}
}

static void env_clear_all(void)
{
	config_key_desc k;
	for (size_t i = 0; config_key_describe(i, &k) == 0; i++)
		unsetenv(k.env);
	unsetenv("NUSIMD_CONFIG");
}

TEST(every_key_file_env_flag_and_bad_value)
{
	static char bad[4096];
	char path[] = "/tmp/nusimd-cfg-XXXXXX", err[512], got[2048];
	char fval[1200], eval[1200], flagarg[1300], line[1300];
	config_key_desc k;
	size_t n = config_key_count();
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	CHECK(n >= 20);
	env_clear_all();
	for (size_t i = 0; i < n; i++) {
		server_config c;
		CHECK_EQ_INT(config_key_describe(i, &k), 0);
		good_value(&k, 0, fval, sizeof fval);
		good_value(&k, 1, eval, sizeof eval);

		/* the file alone */
		snprintf(line, sizeof line, "%s = %s\n", k.name, fval);
		write_file(path, line);
		char *argv_file[] = { "x", "-c", path, NULL };
		if (config_build(&c, 3, argv_file, 1, NULL, 0, err, sizeof err) < 0)
			UNIT_FAIL("%.100s from the file: %.100s", k.name, err);
		config_key_value(&c, i, got, sizeof got);
		if (strcmp(got, fval))
			UNIT_FAIL("%.100s from the file: got \"%.100s\", want \"%.100s\"", k.name, got,
			          fval);

		/* the environment over the file */
		setenv(k.env, eval, 1);
		if (config_build(&c, 3, argv_file, 1, NULL, 0, err, sizeof err) < 0)
			UNIT_FAIL("%.100s from %.100s: %.100s", k.name, k.env, err);
		config_key_value(&c, i, got, sizeof got);
		if (strcmp(got, eval))
			UNIT_FAIL("%.100s: %.100s over the file: got \"%.100s\", want \"%.100s\"", k.name,
			          k.env, got, eval);

		/* the flag over both */
		snprintf(flagarg, sizeof flagarg, "--%s=%s", k.flag, fval);
		char *argv_flag[] = { "x", "-c", path, flagarg, NULL };
		if (config_build(&c, 4, argv_flag, 1, NULL, 0, err, sizeof err) < 0)
			UNIT_FAIL("%.100s from --%.100s: %.100s", k.name, k.flag, err);
		config_key_value(&c, i, got, sizeof got);
		if (strcmp(got, fval))
			UNIT_FAIL("%.60s: --%.60s over %.60s: got \"%.60s\", want \"%.60s\"", k.name,
			          k.flag, k.env, got, fval);
		unsetenv(k.env);

		/* a bad value, from each source, names the key */
		bad_value(&k, bad, k.type == CONFIG_T_STR ? sizeof bad : 64);
		snprintf(line, sizeof line, "%s = %.1200s\n", k.name, bad);
		if (k.type != CONFIG_T_STR) {   /* a 4 KiB line is refused as such */
			write_file(path, line);
			if (config_build(&c, 3, argv_file, 1, NULL, 0, err, sizeof err) == 0 ||
			    !strstr(err, k.name))
				UNIT_FAIL("%.100s: bad file value \"%.100s\" not refused by name: %.100s",
				          k.name, bad, err);
		}
		write_file(path, "");
		setenv(k.env, bad, 1);
		if (config_build(&c, 3, argv_file, 1, NULL, 0, err, sizeof err) == 0 ||
		    !strstr(err, k.name) || !strstr(err, k.env))
			UNIT_FAIL("%.100s: bad %.100s not refused by name: %.100s", k.name, k.env, err);
		unsetenv(k.env);
		char *argv_bad[] = { "x", "--x", bad, NULL };
		snprintf(flagarg, sizeof flagarg, "--%s", k.flag);
		argv_bad[1] = flagarg;
		if (k.type != CONFIG_T_BOOL) {   /* a bool flag takes no value */
			if (config_build(&c, 3, argv_bad, 1, NULL, 0, err, sizeof err) == 0 ||
			    !strstr(err, k.name))
				UNIT_FAIL("%.100s: bad --%.100s not refused by name: %.100s", k.name,
				          k.flag, err);
		}
	}
	env_clear_all();
	unlink(path);
}

TEST(key_table_is_consistent)
{
	config_key_desc k, o;
	server_config a, b;
	char v[64];
	config_defaults(&a);
	config_defaults(&b);
	for (size_t i = 0; config_key_describe(i, &k) == 0; i++) {
		CHECK(k.name && k.flag && k.env && k.def);
		CHECK(!strncmp(k.env, "NUSIMD_", 7));
		CHECK(!config_key_differs(&a, &b, i));
		for (size_t j = i + 1; config_key_describe(j, &o) == 0; j++) {
			CHECK(strcmp(k.name, o.name));
			CHECK(strcmp(k.flag, o.flag));
			CHECK(strcmp(k.env, o.env));
		}
	}
	CHECK(config_key_describe(config_key_count(), &k) < 0);
	CHECK_EQ_INT(config_set(&b, "log_level", "warn", v, sizeof v), 0);
	for (size_t i = 0; config_key_describe(i, &k) == 0; i++)
		CHECK_EQ_INT(config_key_differs(&a, &b, i), !strcmp(k.name, "log_level"));
}

UNIT_MAIN
