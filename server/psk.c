/*
 * psk.c: identity -> key for DTLS handshakes (server/psk.h). Runs inside
 * coap_io_process, on the loop thread, with one indexed query.
 */
#include "server/psk.h"
#include "server/coap_endpoint.h"
#include "server/log.h"

#include <openssl/crypto.h>
#include <string.h>

/* OpenSSL caps PSK keys at 512 bytes; provisioning allows 64. */
static uint8_t key_buf[512];
static size_t key_len;
static coap_bin_const_t key_out;

void psk_wipe(void *arg)
{
	(void)arg;
	if (key_len) {
		OPENSSL_cleanse(key_buf, sizeof key_buf);
		key_len = 0;
	}
}

const coap_bin_const_t *psk_lookup(coap_bin_const_t *identity,
                                   coap_session_t *s, void *arg)
{
	psk_ctx *p = arg;
	char id[DB_MAX_IDENTITY + 1], aad[DB_MAX_EP + 8], peer[80];
	db_device dev;
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	const coap_bin_const_t *ret = NULL;
	db_rc rc;

	psk_wipe(NULL);
	coap_ep_peer_str(s, peer, sizeof peer);
	if (!identity || !identity->length || identity->length > DB_MAX_IDENTITY ||
	    memchr(identity->s, 0, identity->length)) {
		log_kv(NLOG_INFO, "psk refused", "peer", peer, "reason",
		       "bad identity", NULL);
		return NULL;
	}
	memcpy(id, identity->s, identity->length);
	id[identity->length] = 0;
	memset(&dev, 0, sizeof dev);
	rc = db_device_by_identity(p->db, id, &dev);
	if (rc != DB_OK || !dev.psk_sealed) {
		log_kv(NLOG_INFO, "psk refused", "peer", peer, "identity", id,
		       "reason", rc == DB_NOT_FOUND || rc == DB_OK ?
		       "unknown identity" : "storage error", NULL);
		goto out;
	}
	snprintf(aad, sizeof aad, "psk:%s", dev.endpoint);
	if (unseal(p->key, aad, dev.psk_sealed, dev.psk_sealed_len, &plain,
	           &plain_len) < 0 || plain_len == 0 ||
	    plain_len > sizeof key_buf) {
		log_kv(NLOG_ERROR, "psk refused", "peer", peer, "identity", id,
		       "ep", dev.endpoint, "reason", "key does not unseal", NULL);
		goto out;
	}
	memcpy(key_buf, plain, plain_len);
	key_len = plain_len;
	key_out.s = key_buf;
	key_out.length = key_len;
	ret = &key_out;
	log_kv(NLOG_DEBUG, "psk found", "peer", peer, "identity", id, "ep",
	       dev.endpoint, NULL);
out:
	if (plain)
		seal_wipe_free(plain, plain_len);
	db_device_clear(&dev);
	return ret;
}
