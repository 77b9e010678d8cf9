"""openapi_gen.py: writes api/openapi.c (the OpenAPI 3.0 document served
at /openapi.json). Run `python3 api/openapi_gen.py > api/openapi.c` after
changing a route in api/router.c."""
import json
P = {"$ref": "#/components/responses/Problem"}
def op(summary, role, ok, params=(), body=None, extra=()):
    o = {"summary": summary, "responses": {}}
    if role:
        o["security"] = [{"bearer": []}]
        o["x-minimum-role"] = role
    else:
        o["security"] = []
    for code, desc in ok:
        o["responses"][code] = {"description": desc}
    for code in ("400", "401", "403", "404") if role else ("503",):
        o["responses"].setdefault(code, P)
    for code in extra:
        o["responses"].setdefault(code, P)
    if params:
        o["parameters"] = [{"$ref": "#/components/parameters/" + p} for p in params]
    if body:
        o["requestBody"] = {"content": {ct: {"schema": {}} for ct in body}}
    return o
lw = ["ep", "path", "timeout", "format"]
lwok = [("200", "the device answered 2.xx"), ("202", "queued for a sleeping or busy device")]
lwerr = ("405", "406", "415", "502", "504")
doc = {
 "openapi": "3.0.3",
 "info": {"title": "nusimd operator API", "version": "1",
          "description": "See docs/api.md for bodies, examples and problem types."},
 "servers": [{"url": "/api/v1"}],
 "components": {
  "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
  "responses": {"Problem": {"description": "application/problem+json",
    "content": {"application/problem+json": {"schema": {"type": "object",
      "required": ["type", "title", "status", "detail"],
      "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                     "status": {"type": "integer"}, "detail": {"type": "string"}}}}}}},
  "parameters": {
   "ep": {"name": "ep", "in": "path", "required": True, "schema": {"type": "string"}},
   "id": {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
   "path": {"name": "path", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "obj[/inst[/res[/ri]]]"},
   "timeout": {"name": "timeout", "in": "query", "schema": {"type": "integer", "minimum": 0},
               "description": "ms to wait for the device"},
   "format": {"name": "format", "in": "query", "schema": {"type": "string",
              "enum": ["tlv", "senml-json", "senml-cbor", "text", "opaque", "lwm2m-json", "cbor"]}},
   "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
   "after": {"name": "after", "in": "query", "schema": {"type": "string"}},
   "partial": {"name": "partial", "in": "query", "schema": {"type": "boolean"}},
   "pmin": {"name": "pmin", "in": "query", "schema": {"type": "integer"}},
   "pmax": {"name": "pmax", "in": "query", "schema": {"type": "integer"}},
   "gt": {"name": "gt", "in": "query", "schema": {"type": "number"}},
   "lt": {"name": "lt", "in": "query", "schema": {"type": "number"}},
   "st": {"name": "st", "in": "query", "schema": {"type": "number"}},
   "carrier": {"name": "carrier", "in": "path", "required": True, "schema": {"type": "string"}},
   "eid": {"name": "eid", "in": "path", "required": True,
           "schema": {"type": "string", "pattern": "^[0-9]{32}$"}},
   "carrier_q": {"name": "carrier", "in": "query", "schema": {"type": "string"}},
   "pstate": {"name": "state", "in": "query", "schema": {"type": "string", "enum": [
              "available", "reserved", "installed", "quarantined", "retired"]}},
   "jstate": {"name": "state", "in": "query", "schema": {"type": "string", "enum": [
              "queued", "waiting_online", "preparing", "writing_507", "linking", "loading",
              "awaiting_result", "awaiting_reattach", "verifying", "done", "failed",
              "rolled_back", "timed_out", "cancelled"]}},
   "device": {"name": "device", "in": "query", "schema": {"type": "string"}},
   "before": {"name": "before", "in": "query", "schema": {"type": "integer"}},
   "after_id": {"name": "after", "in": "query", "schema": {"type": "integer"}},
   "last_event_id": {"name": "Last-Event-ID", "in": "header", "schema": {"type": "integer"},
                     "description": "resume after this event id (or ?last_event_id=)"}}},
 "paths": {
  "/healthz": {"get": op("the process and its database answer", None, [("200", "ok")])},
  "/readyz": {"get": op("ready to serve", None, [("200", "ready")])},
  "/metrics": {"get": op("Prometheus metrics", None, [("200", "text format 0.0.4")])},
  "/openapi.json": {"get": op("this document", None, [("200", "OpenAPI 3.0")])},
  "/devices": {
   "get": op("list provisioned devices", "viewer", [("200", "page of devices")], ["limit", "after"]),
   "post": op("provision devices (JSON or CSV), all or nothing", "operator",
              [("201", "created"), ("200", "partial: created and errors")], ["partial"],
              ["application/json", "text/csv"], ("409", "413", "415", "422"))},
  "/devices/{ep}": {
   "get": op("a device, its registration and observations", "viewer", [("200", "device")], ["ep"]),
   "delete": op("remove a device's credentials", "operator", [("204", "deleted")], ["ep"])},
  "/devices/{ep}/observations": {
   "get": op("the device's observations", "viewer", [("200", "list")], ["ep"])},
  "/registrations": {
   "get": op("registered endpoints", "viewer", [("200", "page of registrations")], ["limit", "after"])},
  "/devices/{ep}/lwm2m/{path}": {
   "get": op("Read", "viewer", lwok, lw, None, lwerr),
   "put": op("Write (replace)", "operator", lwok, lw, ["application/json",
             "application/vnd.oma.lwm2m+tlv", "application/senml+json", "application/senml+cbor",
             "text/plain", "application/octet-stream"], lwerr + ("413",)),
   "patch": op("Write (partial update)", "operator", lwok, lw, ["application/json"], lwerr + ("413",)),
   "post": op("Create (object), partial update (instance) or Execute (resource)", "operator",
              lwok + [("201", "created")], lw, ["application/json", "text/plain"], lwerr + ("413",)),
   "delete": op("Delete", "operator", lwok, lw, None, lwerr)},
  "/devices/{ep}/lwm2m/{path}/discover": {"get": op("Discover", "viewer", lwok, lw, None, lwerr)},
  "/devices/{ep}/lwm2m/{path}/attributes": {"put": op("Write-Attributes", "operator", lwok,
      lw + ["pmin", "pmax", "gt", "lt", "st"], None, lwerr)},
  "/devices/{ep}/lwm2m/{path}/observe": {
   "post": op("Observe", "operator", lwok, lw, None, lwerr),
   "delete": op("Cancel Observation", "operator", lwok, lw, None, lwerr)},
  "/requests/{id}": {
   "get": op("a device-management request and its outcome", "viewer", [("200", "request")], ["id"]),
   "delete": op("cancel a queued request", "operator", [("200", "cancelled")], ["id"], None, ("409",))},
  "/tokens": {
   "get": op("list API tokens", "admin", [("200", "page of tokens")], ["limit", "after"]),
   "post": op("create a token (shown once)", "admin", [("201", "created")], (),
              ["application/json"], ("422",))},
  "/tokens/{id}": {"delete": op("revoke a token", "admin", [("204", "deleted")], ["id"])},
  "/profiles": {
   "get": op("carrier profiles (never their secrets)", "viewer", [("200", "page of profiles")],
             ["limit", "after", "carrier_q", "pstate"]),
   "post": op("add one profile (fields or a base64 container), stored sealed", "operator",
              [("201", "created")], (), ["application/json"], ("409", "422"))},
  "/profiles/import": {
   "post": op("import profiles from CSV iccid,imsi,carrier,ki,opc, all or nothing", "operator",
              [("201", "imported")], (), ["text/csv"], ("409", "413", "415", "422"))},
  "/carriers": {"get": op("each carrier's pool", "viewer", [("200", "pools")])},
  "/certificates": {
   "post": op("import nuSIM certificates per EID for devices without 508/3: JSON "
              "{eid,cert_pem} or an array, or CSV eid,cert_pem_b64; each checked "
              "against the CM roots and its EID, all or nothing", "operator",
              [("201", "imported")], (), ["application/json", "text/csv"],
              ("413", "415", "422", "503"))},
  "/certificates/{eid}": {
   "get": op("an imported nuSIM certificate", "viewer", [("200", "certificate")], ["eid"]),
   "delete": op("remove an imported nuSIM certificate", "operator", [("204", "deleted")],
                ["eid"])},
  "/devices/{ep}/switch": {
   "post": op("switch the device to a carrier or an ICCID", "operator", [("202", "job")], ["ep"],
              ["application/json"], ("409", "422", "503"))},
  "/devices/{ep}/stage": {
   "post": op("stage a carrier's package as a spare 507 instance", "operator", [("202", "job")],
              ["ep"], ["application/json"], ("409", "422", "503"))},
  "/devices/{ep}/stage/{carrier}": {
   "delete": op("unstage: delete the instance, return the profile", "operator",
                [("204", "unstaged")], ["ep", "carrier"], None, ("409",))},
  "/jobs": {"get": op("switch and stage jobs, newest first", "viewer", [("200", "page of jobs")],
                      ["limit", "jstate", "device", "before"])},
  "/jobs/{id}": {"get": op("a job with every transition", "viewer", [("200", "job")], ["id"])},
  "/jobs/{id}/cancel": {"post": op("cancel a running job", "operator", [("200", "cancelled")],
                                   ["id"], None, ("409",))},
  "/audit": {"get": op("the audit trail, oldest first from a cursor", "operator",
                       [("200", "page of audit entries")], ["limit", "after_id"])},
  "/events": {"get": op("server-sent events: registrations and job transitions", "viewer",
                        [("200", "text/event-stream")], ["last_event_id"], None, ("503",))},
  "/campaigns": {
   "get": op("campaigns, by id", "viewer", [("200", "page of campaigns")], ["limit", "after_id"]),
   "post": op("a campaign from a CSV (endpoint|eid, carrier|iccid), streamed and validated "
              "as a whole; settings in the query or X-Campaign-* headers", "operator",
              [("201", "created (draft)")],
              ["c_name", "c_max_in_flight", "c_max_starts_per_s", "c_failure_threshold_pct",
               "c_failure_min_sample", "c_window_start", "c_window_end", "c_skip_invalid"],
              ["text/csv"], ("413", "415", "422", "503"))},
  "/campaigns/{id}": {"get": op("a campaign: settings, counts per state, throughput, time left",
                                "viewer", [("200", "campaign")], ["id"])},
  "/campaigns/{id}/report": {"get": op("every row's outcome as CSV", "viewer",
                                       [("200", "text/csv")], ["id"])},
  "/campaigns/{id}/{action}": {"post": op("start, pause, resume or cancel a campaign",
                                          "operator", [("200", "campaign")], ["id", "c_action"],
                                          None, ("409", "503"))},
 }}
for k, t in (("name", "string"), ("max_in_flight", "integer"), ("max_starts_per_s", "number"),
             ("failure_threshold_pct", "number"), ("failure_min_sample", "integer"),
             ("window_start", "string"), ("window_end", "string"), ("skip_invalid", "boolean")):
    doc["components"]["parameters"]["c_" + k] = {
        "name": k, "in": "query", "schema": {"type": t, **({"format": "date-time"}
                                                        if k.startswith("window") else {})}}
doc["components"]["parameters"]["c_action"] = {
    "name": "action", "in": "path", "required": True,
    "schema": {"type": "string", "enum": ["start", "pause", "resume", "cancel"]}}
s = json.dumps(doc, separators=(",", ":"))
lines = []
for i in range(0, len(s), 76):
    chunk = s[i:i+76].replace("\\", "\\\\").replace('"', '\\"')
    lines.append('\t"%s"' % chunk)
print('''/*
 * openapi.c: GET /openapi.json: the OpenAPI 3.0 description of the routes
 * written by api/openapi_gen.py (regenerate it when a route changes);
 * docs/api.md has the bodies, examples and problem types.
 */
#include <string.h>
#include <stdlib.h>

#include "api/api_int.h"

static const char doc[] =
%s;

void h_openapi(api_call *c)
{
	char *b = malloc(sizeof doc);
	if (!b) {
		api_problem(c, 500, "internal", NULL, "out of memory");
		return;
	}
	memcpy(b, doc, sizeof doc);
	api_reply_text(c, 200, b, sizeof doc - 1, "application/json");
}''' % "\n".join(lines))
