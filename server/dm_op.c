/*
 * dm_op.c: the LwM2M operations as data (DESIGN §4): CoAP method, allowed
 * path depths, payload and query rules, Observe value, forced Accept, and
 * whether a request may be re-sent after its device vanished mid-flight.
 * dm_submit validates every request against this table before storing it.
 */
#include <string.h>

#include "server/dm_int.h"

/* Depth = path length: 1 object, 2 instance, 3 resource, 4 resource
 * instance. Execute only on a resource, Create only on an object, Delete
 * only on an instance (deleting a whole object is Bootstrap's business).
 * POST is not idempotent, so those ops fail rather than repeat. */
static const dm_op_def ops[] = {
	{ DM_READ, "read", COAP_REQUEST_CODE_GET, 1, 4,
	  DM_PAY_NONE, 0, -1, -1, 1 },
	{ DM_DISCOVER, "discover", COAP_REQUEST_CODE_GET, 1, 3,
	  DM_PAY_NONE, 0, -1, LWM2M_CF_LINK, 1 },
	{ DM_WRITE, "write", COAP_REQUEST_CODE_PUT, 2, 4,
	  DM_PAY_REQUIRED, 0, -1, -1, 1 },
	{ DM_WRITE_PARTIAL, "write-partial", COAP_REQUEST_CODE_POST, 2, 3,
	  DM_PAY_REQUIRED, 0, -1, -1, 0 },
	{ DM_WRITE_ATTRIBUTES, "write-attributes", COAP_REQUEST_CODE_PUT, 1, 4,
	  DM_PAY_NONE, 1, -1, -1, 1 },
	{ DM_EXECUTE, "execute", COAP_REQUEST_CODE_POST, 3, 3,
	  DM_PAY_OPTIONAL, 0, -1, -1, 0 },
	{ DM_CREATE, "create", COAP_REQUEST_CODE_POST, 1, 1,
	  DM_PAY_REQUIRED, 0, -1, -1, 0 },
	{ DM_DELETE, "delete", COAP_REQUEST_CODE_DELETE, 2, 2,
	  DM_PAY_NONE, 0, -1, -1, 1 },
	{ DM_OBSERVE, "observe", COAP_REQUEST_CODE_GET, 1, 4,
	  DM_PAY_NONE, 0, 0, -1, 1 },
	{ DM_OBSERVE_CANCEL, "observe-cancel", COAP_REQUEST_CODE_GET, 1, 4,
	  DM_PAY_NONE, 0, 1, -1, 1 },
};

const dm_op_def *dm_op_find(int op)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if ((int)ops[i].op == op)
			return &ops[i];
	return NULL;
}

const char *dm_op_name(int op)
{
	const dm_op_def *d = dm_op_find(op);
	return d ? d->name : "unknown";
}

/* Query: name[=value] pairs split at '&', printable ASCII, each part one
 * Uri-Query option (at most 255 bytes, the CoAP option limit here). */
static const char *check_query(const char *q)
{
	size_t n = strlen(q), part = 0;
	if (n == 0)
		return "write-attributes needs a query";
	if (n > DM_MAX_QUERY)
		return "query too long";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)q[i];
		if (c <= 0x20 || c >= 0x7f)
			return "query has a space or control character";
		if (c == '&') {
			if (part == 0)
				return "query has an empty part";
			part = 0;
		} else if (++part > 255) {
			return "query part too long";
		}
	}
	if (part == 0)
		return "query has an empty part";
	return NULL;
}

const char *dm_op_check(const dm_request *req)
{
	const dm_op_def *d = dm_op_find(req->op);
	if (!d)
		return "unknown operation";
	if (req->path.len < d->min_depth || req->path.len > d->max_depth)
		return "path depth not allowed for this operation";
	for (unsigned i = 0; i < req->path.len && i < 4; i++)
		if (req->path.id[i] > LWM2M_MAX_ID)
			return "path id out of range";
	if (req->len > LWM2M_MAX_PAYLOAD)
		return "payload too large";
	if (req->len && !req->payload)
		return "payload length without payload";
	if (d->payload == DM_PAY_NONE && req->len)
		return "this operation takes no payload";
	if (d->payload == DM_PAY_REQUIRED && !req->len)
		return "this operation needs a payload";
	/* Execute arguments are plain text by definition; everything else
	 * must say what it carries. */
	if (req->len && req->op != DM_EXECUTE && req->format == LWM2M_CF_NONE)
		return "payload without a content format";
	if (d->needs_query) {
		const char *why = check_query(req->query ? req->query : "");
		if (why)
			return why;
	} else if (req->query && *req->query) {
		return "this operation takes no query";
	}
	if (req->ttl_s < 0)
		return "negative time to live";
	return NULL;
}
