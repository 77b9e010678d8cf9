/*
 * test_api_http.c: the REST API in process: a real loop, a real SQLite
 * database in a temporary directory and the real MHD daemon on a loopback
 * port 0, driven over HTTP by libcurl from a second thread. Each row of the
 * table is one call with the status and a piece of the body it must get.
 * No DM engine is attached, so LwM2M routes are checked up to the point
 * where they would submit.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "api/api.h"
#include "api/token.h"

struct want {
	const char *method;
	const char *path;
	int who;               /* 0 no token, 1 viewer, 2 admin, 3 garbage */
	const char *ctype;
	const char *body;
	int status;
	const char *has;       /* substring of the body or a header, or NULL */
};

static const struct want cases[] = {
	{ "GET", "/healthz", 0, NULL, NULL, 200, "{\"status\":\"ok\"}" },
	{ "GET", "/api/v1/healthz", 0, NULL, NULL, 200, "\"ok\"" },
	{ "GET", "/readyz", 0, NULL, NULL, 200, "\"ready\"" },
	{ "GET", "/metrics", 0, NULL, NULL, 200, "nusimd_api_waiting_calls 0" },
	{ "GET", "/openapi.json", 0, NULL, NULL, 200, "\"openapi\":\"3.0.3\"" },
	{ "GET", "/api/v1/devices", 0, NULL, NULL, 401, "WWW-Authenticate: Bearer" },
	{ "GET", "/api/v1/devices", 3, NULL, NULL, 401, "invalid_token" },
	{ "GET", "/api/v1/devices", 1, NULL, NULL, 200, "{\"items\":[],\"next\":null}" },
	{ "GET", "/api/v1/nothing", 1, NULL, NULL, 404, "problems/not-found" },
	{ "PUT", "/api/v1/devices", 2, NULL, NULL, 405, "Allow: GET, POST" },
	{ "POST", "/api/v1/devices", 1, "application/json", "{}", 403, "operator role" },
	{ "POST", "/api/v1/devices", 2, "application/json",
	  "{\"endpoint\":\"ep1\",\"psk_identity\":\"id1\",\"psk_key\":\"00112233\"}",
	  201, "\"count\":1" },
	{ "POST", "/api/v1/devices", 2, "application/json",
	  "[{\"endpoint\":\"ep2\",\"psk_identity\":\"id2\",\"psk_key\":\"0011\"},"
	  "{\"endpoint\":\"ep3\",\"psk_identity\":\"id3\",\"psk_key\":\"xyz\"}]",
	  422, "\"index\":1" },
	{ "GET", "/api/v1/devices/ep2", 1, NULL, NULL, 404, "ep2" },   /* rolled back */
	{ "POST", "/api/v1/devices", 2, "application/json",
	  "{\"endpoint\":\"ep9\",\"psk_identity\":\"id1\",\"psk_key\":\"0011\"}",
	  409, "problems/conflict" },
	{ "POST", "/api/v1/devices", 2, "text/csv",
	  "endpoint,psk_identity,psk_key_hex\r\nep4,id4,0a0b\r\n\"ep,5\",\"i\"\"5\",0c0d\r\n",
	  201, "\"count\":2" },
	{ "POST", "/api/v1/devices", 2, "text/csv",
	  "endpoint,psk_identity,psk_key_hex\nep6,id6,00\nep7,id7,0g\n", 422, "\"line\":3" },
	{ "POST", "/api/v1/devices", 2, "application/xml", "<x/>", 415, "text/csv" },
	{ "POST", "/api/v1/devices", 2, "application/json", "{\"endpoint\":", 400,
	  "\"position\":12" },
	{ "POST", "/api/v1/devices", 2, "application/json",
	  "{\"endpoint\":\"a\",\"endpoint\":\"b\"}", 400, "duplicate" },
	{ "GET", "/api/v1/devices?limit=2", 1, NULL, NULL, 200, "\"next\":\"ep1\"" },
	{ "GET", "/api/v1/devices?limit=2&after=ep1", 1, NULL, NULL, 200,
	  "\"endpoint\":\"ep4\"" },
	{ "GET", "/api/v1/devices?limit=5000", 1, NULL, NULL, 400, "limit" },
	{ "GET", "/api/v1/devices/ep1", 1, NULL, NULL, 200, "\"has_psk\":true" },
	{ "DELETE", "/api/v1/devices/ep4", 1, NULL, NULL, 403, "forbidden" },
	{ "DELETE", "/api/v1/devices/ep4", 2, NULL, NULL, 204, NULL },
	{ "DELETE", "/api/v1/devices/ep4", 2, NULL, NULL, 404, "no device" },
	{ "GET", "/api/v1/registrations", 1, NULL, NULL, 200, "\"items\":[]" },
	{ "GET", "/api/v1/devices/ep1/observations", 1, NULL, NULL, 200, "\"items\":[]" },
	{ "GET", "/api/v1/devices/ep1/lwm2m/3/x", 1, NULL, NULL, 400, "not an LwM2M path" },
	{ "GET", "/api/v1/devices/ep1/lwm2m/3/0?timeout=-1", 1, NULL, NULL, 400, "timeout" },
	{ "GET", "/api/v1/devices/ep1/lwm2m/3/0?timeout=999999", 1, NULL, NULL, 400, "timeout" },
	{ "GET", "/api/v1/devices/ep1/lwm2m/3/0?format=xml", 1, NULL, NULL, 400, "format" },
	{ "PUT", "/api/v1/devices/ep1/lwm2m/3/0/1", 1, NULL, "\"x\"", 403, "operator" },
	{ "DELETE", "/api/v1/devices/ep1/lwm2m/3", 2, NULL, NULL, 400, "object instance" },
	{ "POST", "/api/v1/devices/ep1/lwm2m/3/0/1/0", 2, NULL, NULL, 400, "resource instance" },
	{ "GET", "/api/v1/devices/ep1/lwm2m/3/0/observe", 1, NULL, NULL, 405, "Allow: POST, DELETE" },
	{ "PUT", "/api/v1/devices/ep1/lwm2m/3/0/attributes", 2, NULL, NULL, 400, "pmin" },
	{ "PUT", "/api/v1/devices/ep1/lwm2m/3/0/attributes?pmin=a", 2, NULL, NULL, 400,
	  "integer" },
	{ "PUT", "/api/v1/devices/ep1/lwm2m/3/0/1", 2, "application/json", "{", 400,
	  "invalid-json" },
	{ "PUT", "/api/v1/devices/ep1/lwm2m/3/0/1", 2, "image/png", "x", 415, "content type" },
	{ "GET", "/api/v1/requests/77", 1, NULL, NULL, 404, "request" },
	{ "GET", "/api/v1/requests/abc", 1, NULL, NULL, 404, "request" },
	{ "GET", "/api/v1/tokens", 1, NULL, NULL, 403, "admin" },
	{ "GET", "/api/v1/tokens", 2, NULL, NULL, 200, "\"name\":\"adm\"" },
	{ "POST", "/api/v1/tokens", 2, "application/json",
	  "{\"name\":\"dash\",\"role\":\"operator\"}", 201, "\"token\":\"nst_" },
	{ "POST", "/api/v1/tokens", 2, "application/json",
	  "{\"name\":\"dash\",\"role\":\"root\"}", 422, "root" },
	{ "GET", "/api/v1/tokens?limit=1", 2, NULL, NULL, 200, "\"next\":\"1\"" },
	{ "DELETE", "/api/v1/tokens/3", 2, NULL, NULL, 204, NULL },
	{ "DELETE", "/api/v1/tokens/3", 2, NULL, NULL, 404, "token" },
	{ "POST", "/api/v1/tokens", 2, "application/json", "BIG", 413, "payload-too-large" },
};

#define NCASES (sizeof cases / sizeof cases[0])

static char base[96];
static char tok_viewer[API_TOKEN_LEN + 1], tok_admin[API_TOKEN_LEN + 1];
static atomic_int done;
static int failures;
static char big[8192];

struct sink {
	char buf[16384];
	size_t n;
};

static size_t on_data(char *p, size_t sz, size_t nm, void *arg)
{
	struct sink *s = arg;
	size_t n = sz * nm;
	if (n > sizeof s->buf - 1 - s->n)
		n = sizeof s->buf - 1 - s->n;
	memcpy(s->buf + s->n, p, n);
	s->n += n;
	s->buf[s->n] = 0;
	return sz * nm;
}

static void *client(void *arg)
{
	CURL *h = curl_easy_init();
	memset(big, 'a', sizeof big - 1);
	for (size_t i = 0; h && i < NCASES; i++) {
		const struct want *w = &cases[i];
		struct sink s = { .n = 0 };
		struct curl_slist *hd = NULL;
		char url[256], auth[128], ct[96];
		long status = 0;
		snprintf(url, sizeof url, "%s%s", base, w->path);
		curl_easy_reset(h);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, w->method);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_data);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
		if (w->who) {
			snprintf(auth, sizeof auth, "Authorization: Bearer %s",
			         w->who == 1 ? tok_viewer : w->who == 2 ? tok_admin : "nst_nope");
			hd = curl_slist_append(hd, auth);
		}
		if (w->ctype) {
			snprintf(ct, sizeof ct, "Content-Type: %s", w->ctype);
			hd = curl_slist_append(hd, ct);
		}
		if (w->body) {
			const char *b = strcmp(w->body, "BIG") ? w->body : big;
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, b);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(b));
		}
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
		CURLcode rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_slist_free_all(hd);
		if (rc != CURLE_OK || status != w->status || (w->has && !strstr(s.buf, w->has))) {
			printf("# case %zu: %s %s: got %ld (%s), want %d with \"%s\"\n%s\n", i,
			       w->method, w->path, status, curl_easy_strerror(rc), w->status,
			       w->has ? w->has : "", s.buf);
			failures++;
		}
	}
	curl_easy_cleanup(h);
	atomic_store(&done, 1);
	return NULL;
}

static void poll_done(void *arg)
{
	loop *l = arg;
	if (atomic_load(&done))
		loop_stop(l);
	else
		loop_timer_add(l, 10, poll_done, l);
}

TEST(api_routes_auth_and_errors)
{
	char dir[] = "/tmp/test_api_XXXXXX", path[128], err[256], bound[64];
	uint8_t key[32] = { 1, 2, 3 }, hash[32];
	int64_t id;
	db *d = NULL;
	seal_key *k = NULL;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/t.db", dir);
	CHECK_EQ_INT(db_open(path, &d, err, sizeof err), DB_OK);
	CHECK_EQ_INT(seal_key_from_bytes(key, &k), 0);
	CHECK_EQ_INT(api_token_generate(tok_admin), 0);
	api_token_hash(tok_admin, hash);
	CHECK_EQ_INT(db_token_create(d, "adm", DB_ROLE_ADMIN, hash, &id), DB_OK);
	CHECK_EQ_INT(api_token_generate(tok_viewer), 0);
	api_token_hash(tok_viewer, hash);
	CHECK_EQ_INT(db_token_create(d, "view", DB_ROLE_VIEWER, hash, &id), DB_OK);

	loop *l = loop_new();
	CHECK(l != NULL);
	api_config cfg = { .listen = "127.0.0.1:0", .max_body = 4096,
	                   .default_timeout_ms = 1000, .max_timeout_ms = 5000 };
	api *a = api_start(l, d, NULL, k, &cfg, bound, sizeof bound, err, sizeof err);
	if (!a)
		UNIT_FAIL("api_start: %s", err);
	CHECK(strncmp(bound, "127.0.0.1:", 10) == 0 && strcmp(bound, "127.0.0.1:0"));
	snprintf(base, sizeof base, "http://%s", bound);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_t th;
	CHECK_EQ_INT(pthread_create(&th, NULL, client, NULL), 0);
	loop_timer_add(l, 10, poll_done, l);
	CHECK_EQ_INT(loop_run(l), 0);
	pthread_join(th, NULL);
	api_stop(a);
	loop_free(l);
	db_close(d);
	seal_key_free(k);
	curl_global_cleanup();
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path)) {
		/* leaving a temporary directory behind is not a test failure */
	}
	CHECK_EQ_INT(failures, 0);
}

TEST(api_start_refuses_bad_listen)
{
	char err[256], bound[64];
	loop *l = loop_new();
	api_config cfg = { .listen = "nohost", .max_body = 1024 };
	CHECK(api_start(l, NULL, NULL, NULL, &cfg, bound, sizeof bound, err, sizeof err) == NULL);
	CHECK(strstr(err, "HOST:PORT") != NULL);
	cfg.listen = "127.0.0.1:99999";
	CHECK(api_start(l, NULL, NULL, NULL, &cfg, bound, sizeof bound, err, sizeof err) == NULL);
	CHECK(strstr(err, "port") != NULL);
	loop_free(l);
}

UNIT_MAIN
