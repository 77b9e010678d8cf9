/*
 * defaults.h: the initial contents of a simulated device's object store:
 * Security (0), Server (1), Device (3), Connectivity Monitoring (4) and the
 * nuSIM objects 507 (no instance yet) and 508.
 */
#ifndef CLIENT_DEFAULTS_H
#define CLIENT_DEFAULTS_H

#include "client/config.h"
#include "client/objects.h"

/* Fills `s` for the device `c`; `eid` and `iccid` are the resolved values.
 * The PSK key itself is not put in 0/0/5: the store is readable by tests
 * and logs, and the key stays in the session setup only. */
obj_rc defaults_install(objstore *s, const device_cfg *c, const char *eid,
                        const char *iccid, const uint8_t *cert_der,
                        size_t cert_len);

/* The binding letters of the Register query and 1/0/7. */
const char *defaults_binding(const device_cfg *c);

#endif
