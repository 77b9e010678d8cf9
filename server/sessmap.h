/*
 * sessmap.h: which libcoap session each registered endpoint last spoke on,
 * both ways (endpoint -> session, session -> endpoints), so a stale DTLS
 * session can be closed at once (NOTES §1.3) and the entry dropped when
 * libcoap frees the session. Holds no session references.
 */
#ifndef SERVER_SESSMAP_H
#define SERVER_SESSMAP_H

#include <coap3/coap.h>

typedef struct sessmap sessmap;

sessmap *sessmap_new(void);
void sessmap_free(sessmap *m);
/* Maps ep to s, replacing what ep had; -1 on allocation failure. */
int sessmap_put(sessmap *m, const char *ep, coap_session_t *s);
coap_session_t *sessmap_get(const sessmap *m, const char *ep);
void sessmap_drop_ep(sessmap *m, const char *ep);
/* Forgets every endpoint mapped to s (the session is being freed). */
void sessmap_drop_session(sessmap *m, coap_session_t *s);

#endif
