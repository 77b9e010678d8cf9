/*
 * config.c: defaults and small parsers for device_cfg.
 */
#include "client/config.h"

#include <string.h>

void device_cfg_defaults(device_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->lifetime = 300;
	c->awake = 10;
	c->lwm2m_version = "1.1";
	c->attach_timeout = 30;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int device_cfg_set_key_hex(device_cfg *c, const char *hex)
{
	size_t n = strlen(hex);
	if (n == 0 || n % 2 || n / 2 > CLIENT_MAX_PSK_KEY)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		c->psk_key[i] = (uint8_t)(hi << 4 | lo);
	}
	c->psk_key_len = n / 2;
	return 0;
}
