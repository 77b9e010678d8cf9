/*
 * fleet.h: fleet mode: N simulated devices in one process, one libcoap
 * context with one client session (and UDP socket) per device, source
 * addresses cycled over a range, registrations paced, failures retried
 * with backoff, Updates keeping them alive.
 *
 * Names and keys, so the server side can be provisioned with the same:
 *   endpoint i (1-based)   PREFIX-%06d            e.g. nusim-000001
 *   PSK identity           the endpoint name
 *   PSK key                first 16 bytes of HMAC-SHA256(key = psk-key-base
 *                          bytes, message = endpoint name), as hex
 *   EID (with --pki-dir)   89049032, i as 22 digits, 2 MOD 97-10 check
 *                          digits (nusim_eid_from_index)
 */
#ifndef CLIENT_FLEET_H
#define CLIENT_FLEET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client/config.h"

#define FLEET_KEY_LEN 16
#define FLEET_MAX_COUNT 1000000

typedef struct {
	device_cfg base;        /* server, lifetime, version, queue, ... */
	unsigned count;
	const char *prefix;     /* default "nusim" */
	uint32_t bind_lo, bind_hi; /* IPv4, host order; 0 = no --bind-range */
	uint8_t key_base[CLIENT_MAX_PSK_KEY];
	size_t key_base_len;    /* 0 = NoSec */
	double rate;            /* registrations started per second */
	int progress_every;     /* seconds between fleet-progress lines */
	const char *pki_dir;    /* demo PKI: make each device's nuSIM keys */
	unsigned fault_every;   /* every K-th device gets every_fault; 0 none */
	nusim_fault every_fault;
} fleet_cfg;

void fleet_cfg_defaults(fleet_cfg *f);
/* "127.0.1.1-127.0.1.254" or one address; -1 if not IPv4 or lo > hi. */
int fleet_parse_range(const char *s, uint32_t *lo, uint32_t *hi);
/* PREFIX-%06u into buf; -1 if it does not fit. */
int fleet_endpoint(const char *prefix, unsigned i, char *buf, size_t size);
/* The documented key rule; 0 or -1. */
int fleet_derive_key(const uint8_t *base, size_t baselen, const char *endpoint,
                     uint8_t out[FLEET_KEY_LEN]);
/* Prints the provisioning CSV "endpoint,psk_identity,psk_key_hex". */
int fleet_credentials(const fleet_cfg *f, FILE *out);
/* Runs the fleet until SIGTERM/SIGINT; returns the exit status. */
int fleet_run(const fleet_cfg *f);

#endif
