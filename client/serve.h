/*
 * serve.h: answering the LwM2M server's requests on a device's client
 * session (NOTES §5: requests on a client session reach the context's
 * resources). One generic handler serves every path; each existing object,
 * instance and resource path is also a real libcoap resource, so the server
 * can Observe it (the unknown-path resource cannot be observed).
 */
#ifndef CLIENT_SERVE_H
#define CLIENT_SERVE_H

#include <coap3/coap.h>
#include "client/objects.h"

/* Installs the handler for unknown paths; 0 or -1. */
int serve_install(coap_context_t *ctx);
/* Makes an observable resource of every path in the store that has none
 * yet (paths are shared by all devices of a context); 0 or -1. */
int serve_sync_resources(coap_context_t *ctx, const objstore *s);
/* The same for one resource path (a value set on a new resource). */
int serve_ensure_resource(coap_context_t *ctx, const lwm2m_path *p);
/* A value at `p` changed: notify the observers of p, its instance and its
 * object (libcoap then calls the handler per observer session). */
void serve_notify(coap_context_t *ctx, const lwm2m_path *p);

/* Notifies the observers of exactly `p` (no parents). */
void serve_notify_one(coap_context_t *ctx, const lwm2m_path *p);

/* CoAP response code of a store result. */
uint8_t serve_code(obj_rc rc);

#endif
