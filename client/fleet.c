/*
 * fleet.c: fleet mode (see fleet.h). Devices are created up front (object
 * stores are small), started at --rate per second, and the loop's tick hook
 * paces them and prints progress.
 */
#include "client/fleet.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "client/client.h"
#include "client/device.h"
#include "client/log.h"
#include "client/nusim_keys.h"
#include "crypto/package.h"

void fleet_cfg_defaults(fleet_cfg *f)
{
	memset(f, 0, sizeof *f);
	device_cfg_defaults(&f->base);
	f->prefix = "nusim";
	f->rate = 100;
	f->progress_every = 5;
}

static int parse_v4(const char *s, size_t n, uint32_t *out)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

int fleet_parse_range(const char *s, uint32_t *lo, uint32_t *hi)
{
	const char *dash = strchr(s, '-');
	if (!dash) {
		if (parse_v4(s, strlen(s), lo))
			return -1;
		*hi = *lo;
		return 0;
	}
	if (parse_v4(s, (size_t)(dash - s), lo) ||
	    parse_v4(dash + 1, strlen(dash + 1), hi) || *lo > *hi)
		return -1;
	return 0;
}

int fleet_endpoint(const char *prefix, unsigned i, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s-%06u", prefix, i);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int fleet_derive_key(const uint8_t *base, size_t baselen, const char *endpoint,
                     uint8_t out[FLEET_KEY_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!HMAC(EVP_sha256(), base, (int)baselen, (const unsigned char *)endpoint,
	          strlen(endpoint), md, &mdlen) || mdlen < FLEET_KEY_LEN)
		return -1;
	memcpy(out, md, FLEET_KEY_LEN);
	OPENSSL_cleanse(md, sizeof md);
	return 0;
}

int fleet_credentials(const fleet_cfg *f, FILE *out)
{
	fprintf(out, "endpoint,psk_identity,psk_key_hex\n");
	for (unsigned i = 1; i <= f->count; i++) {
		char ep[LWM2M_MAX_EP + 1], hex[2 * FLEET_KEY_LEN + 1];
		uint8_t key[FLEET_KEY_LEN];
		if (fleet_endpoint(f->prefix, i, ep, sizeof ep) ||
		    fleet_derive_key(f->key_base, f->key_base_len, ep, key))
			return -1;
		for (int j = 0; j < FLEET_KEY_LEN; j++)
			snprintf(hex + 2 * j, 3, "%02x", key[j]);
		fprintf(out, "%s,%s,%s\n", ep, ep, hex);
		OPENSSL_cleanse(key, sizeof key);
	}
	return fflush(out) == 0 ? 0 : -1;
}

typedef struct {
	const fleet_cfg *cfg;
	client *cl;
	uint64_t t0, next_progress;
	unsigned started;
	int all_reported;
} fleet_run_state;

static int64_t fleet_tick(void *arg, uint64_t now)
{
	fleet_run_state *st = arg;
	const fleet_cfg *f = st->cfg;
	int64_t wait = 1000;
	if (client_stopping(st->cl))
		return -1;
	if (st->started < f->count) {
		/* Pacing: the i-th device starts at t0 + i / rate. */
		double due = (double)(now - st->t0) / 1000.0 * f->rate + 1;
		while (st->started < f->count && st->started < due)
			device_start(client_device(st->cl, st->started++));
		if (st->started < f->count)
			wait = (int64_t)(1000.0 / f->rate) + 1;
	}
	if (now >= st->next_progress || !st->all_reported) {
		unsigned reg = 0, failed = 0;
		size_t n = client_count(st->cl);
		for (size_t i = 0; i < n; i++) {
			device *d = client_device(st->cl, i);
			dev_state s = device_state(d);
			reg += s == DEV_REGISTERED;
			failed += s == DEV_RETRY && device_failures(d) > 0;
		}
		if (now >= st->next_progress) {
			clog_msg(CLOG_INFO, "fleet-progress", "registered=%u failed=%u "
			         "started=%u count=%u", reg, failed, st->started, f->count);
			st->next_progress = now + (uint64_t)f->progress_every * 1000u;
		}
		if (!st->all_reported && reg == f->count) {
			clog_msg(CLOG_INFO, "fleet-registered", "count=%u seconds=%.1f",
			         f->count, (double)(now - st->t0) / 1000.0);
			st->all_reported = 1;
		}
		if (!st->all_reported && wait > 200)
			wait = 200;
	}
	return wait;
}

int fleet_run(const fleet_cfg *f)
{
	char err[256];
	int status = 1;
	nusim_maker *mk = NULL;
	client_raise_nofile();
	if (f->pki_dir && !(mk = nusim_maker_load(f->pki_dir, err, sizeof err))) {
		clog_msg(CLOG_ERROR, "start-failed", "error=\"%s\"", err);
		return 1;
	}
	client *cl = client_new(err, sizeof err);
	if (!cl) {
		clog_msg(CLOG_ERROR, "start-failed", "error=\"%s\"", err);
		nusim_maker_free(mk);
		return 1;
	}
	for (unsigned i = 1; i <= f->count; i++) {
		device_cfg dc = f->base;
		char ep[LWM2M_MAX_EP + 1], bind[INET_ADDRSTRLEN];
		if (fleet_endpoint(f->prefix, i, ep, sizeof ep)) {
			clog_msg(CLOG_ERROR, "start-failed", "error=\"prefix too long\"");
			goto out;
		}
		dc.endpoint = ep;
		dc.quiet_requests = 1;
		dc.control = 0;
		dc.slot = i - 1;
		if (f->fault_every && i % f->fault_every == 0)
			dc.fault = f->every_fault;
		char eid[NUSIM_EID_LEN + 1];
		uint8_t *cert = NULL;
		if (mk) {
			nusim_eid_from_index(i, eid);
			dc.eid = eid;
			if (nusim_maker_make(mk, eid, &dc.sim, &cert, &dc.cert_len, err,
			                     sizeof err)) {
				clog_msg(CLOG_ERROR, "start-failed", "ep=%s error=\"%s\"", ep,
				         err);
				goto out;
			}
			dc.cert_der = cert;
		}
		if (f->bind_lo) {
			struct in_addr a;
			a.s_addr = htonl(f->bind_lo + (i - 1) % (f->bind_hi - f->bind_lo + 1));
			inet_ntop(AF_INET, &a, bind, sizeof bind);
			dc.bind_addr = bind;
		}
		if (f->key_base_len) {
			dc.psk_identity = ep;
			if (fleet_derive_key(f->key_base, f->key_base_len, ep,
			                     dc.psk_key)) {
				clog_msg(CLOG_ERROR, "start-failed", "error=\"key derivation\"");
				goto out;
			}
			dc.psk_key_len = FLEET_KEY_LEN;
		}
		device *d = device_new(cl, &dc, err, sizeof err);
		OPENSSL_cleanse(dc.psk_key, sizeof dc.psk_key);
		free(cert);
		if (!d) {
			clog_msg(CLOG_ERROR, "start-failed", "ep=%s error=\"%s\"", ep, err);
			goto out;
		}
		if (client_add(cl, d)) {
			device_free(d);
			clog_msg(CLOG_ERROR, "start-failed", "error=\"out of memory\"");
			goto out;
		}
	}
	clog_msg(CLOG_INFO, "fleet-starting", "count=%u server=%s rate=%g",
	         f->count, f->base.server_uri, f->rate);
	fleet_run_state st = { .cfg = f, .cl = cl, .t0 = client_now_ms() };
	st.next_progress = st.t0 + (uint64_t)f->progress_every * 1000u;
	status = client_run(cl, -1, NULL, fleet_tick, &st) == 0 ? 0 : 1;
out:
	client_free(cl);
	nusim_maker_free(mk);
	return status;
}
