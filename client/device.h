/*
 * device.h: one simulated LwM2M device: its client session to the server,
 * the registration state machine (Register, Update, De-register, retry with
 * backoff), the Update timer, queue mode (sleep/wake) and its object store.
 *
 * All functions run on the loop thread. Callbacks from libcoap only record
 * what happened and kick the loop; sessions are opened and closed in
 * device_tick(), never inside a libcoap callback.
 */
#ifndef CLIENT_DEVICE_H
#define CLIENT_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <coap3/coap.h>

#include "client/block1.h"
#include "client/client.h"
#include "client/config.h"
#include "client/dedup.h"
#include "client/objects.h"

typedef enum {
	DEV_NEW = 0,       /* not started yet (fleet pacing) */
	DEV_REGISTERING,   /* Register sent, no answer yet */
	DEV_REGISTERED,    /* registered (maybe asleep in queue mode) */
	DEV_RETRY,         /* Register failed; retry at a backoff time */
	DEV_DEREGISTERED,  /* De-registered on purpose */
} dev_state;

/* Copies the configuration (strings too); builds the object store. NULL
 * with a reason in err. The device belongs to `cl` once client_add'ed. */
device *device_new(client *cl, const device_cfg *cfg, char *err, size_t errlen);
/* Releases the session (without De-register) and frees everything; the PSK
 * is wiped. */
void device_free(device *d);

/* Starts registering (the first Register goes out on the next tick). */
void device_start(device *d);
/* Runs due timers and deferred work; returns ms until it needs to run
 * again, or -1 for "nothing scheduled". */
int64_t device_tick(device *d, uint64_t now);
/* Graceful stop: De-register if registered. */
void device_shutdown(device *d);
/* 1 while a Register/Update/De-register awaits its answer. */
int device_busy(const device *d);

dev_state device_state(const device *d);
int device_asleep(const device *d);
unsigned device_failures(const device *d);
const char *device_endpoint(const device *d);
const char *device_location(const device *d);
objstore *device_store(device *d);
dedup *device_dedup(device *d);
/* The device's Block1 reassembly slot (see block1.h). */
block1_state **device_block1(device *d);
/* Served requests are logged at info, or at debug for fleets. */
int device_quiet(const device *d);
/* Records traffic (queue mode sleeps after --awake S without any). */
void device_touch(device *d);

/* Execute handlers (serve.c calls these after the 2.04 is decided). */
void device_exec_update_trigger(device *d);
void device_exec_reboot(device *d);
/* Execute 508/5 Load Profile on the device's nuSIM; on success the device
 * leaves its carrier shortly after (the answer goes out first), attaches on
 * the new profile's carrier and registers again, or falls back to the
 * backup profile when it cannot within --attach-timeout. */
void device_exec_load_profile(device *d);
/* The nuSIM state (loaded profile, backup, fault knob). */
nusim *device_nusim(device *d);
/* The carriers shared by the process (NULL when none). */
struct carrier_map *device_carriers(device *d);
/* Control command `fault FAULT` (nusim_fault_parse). */
int device_cmd_fault(device *d, const char *fault, char *err, size_t errlen);
/* The nuSIM keys (--nusim-dir), NULL without. */
struct pkg_sim;
const struct pkg_sim *device_sim(const device *d);

/* Control commands; 0, or -1 with a reason in err. */
int device_cmd_update(device *d, char *err, size_t errlen);
int device_cmd_register(device *d, char *err, size_t errlen);
int device_cmd_deregister(device *d, char *err, size_t errlen);
int device_cmd_sleep(device *d, char *err, size_t errlen);
int device_cmd_wake(device *d, char *err, size_t errlen);
int device_cmd_rebind(device *d, const char *addr, char *err, size_t errlen);

/* libcoap events, routed by client.c through the session's app data. */
void device_on_response(device *d, const coap_pdu_t *sent,
                        const coap_pdu_t *rcvd);
void device_on_nack(device *d, const coap_pdu_t *sent,
                    coap_nack_reason_t reason);
void device_on_event(device *d, coap_event_t ev);

#endif
