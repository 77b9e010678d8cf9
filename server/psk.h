/*
 * psk.h: the DTLS PSK callback of the server: identity -> provisioned
 * device -> its unsealed key. The key is handed to libcoap (which copies
 * it) from a static buffer that psk_wipe() clears after each loop round.
 */
#ifndef SERVER_PSK_H
#define SERVER_PSK_H

#include <coap3/coap.h>
#include "db/db.h"
#include "crypto/seal.h"

typedef struct {
	db *db;
	const seal_key *key;
} psk_ctx;

/* coap_dtls_id_callback_t; arg is a psk_ctx. NULL (handshake fails) for an
 * unknown identity, a NoSec device or a key that does not unseal. */
const coap_bin_const_t *psk_lookup(coap_bin_const_t *identity,
                                   coap_session_t *s, void *arg);
/* Clears the key buffer; a loop check hook (arg unused). */
void psk_wipe(void *arg);

#endif
