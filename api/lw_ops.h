/*
 * lw_ops.h: which LwM2M route a call came in on (api_route.arg), so
 * h_lwm2m.c can pick the operation from the method and the suffix.
 */
#ifndef API_LW_OPS_H
#define API_LW_OPS_H

enum {
	LW_PLAIN = 1,     /* .../lwm2m/{path} */
	LW_DISCOVER,      /* .../{path}/discover */
	LW_ATTRIBUTES,    /* .../{path}/attributes */
	LW_OBSERVE,       /* .../{path}/observe */
};

#endif
