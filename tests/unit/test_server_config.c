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

UNIT_MAIN
