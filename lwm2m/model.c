/*
 * model.c: the built-in object definitions (0 Security, 1 Server, 3 Device,
 * 4 Connectivity Monitoring, 507 nuSIM Profile, 508 nuSIM), transcribed from
 * the OMA registry XML (shared/objects/NNN.xml): every resource with id,
 * name, type, operations, multiplicity and mandatory flag. 507/6 is named
 * "KpubCI" (the registry spells it "KpubCl"); callers match by id anyway.
 * Tables are sorted by id, so lookups are a binary search.
 */
#include <stdlib.h>

#include "lwm2m/lwm2m.h"

static const lwm2m_resource_def res_0[] = {
	{ 0, "LWM2M  Server URI", LWM2M_T_STRING, 0, 0, 1 },
	{ 1, "Bootstrap-Server", LWM2M_T_BOOLEAN, 0, 0, 1 },
	{ 2, "Security Mode", LWM2M_T_INTEGER, 0, 0, 1 },
	{ 3, "Public Key or Identity", LWM2M_T_OPAQUE, 0, 0, 1 },
	{ 4, "Server Public Key", LWM2M_T_OPAQUE, 0, 0, 1 },
	{ 5, "Secret Key", LWM2M_T_OPAQUE, 0, 0, 1 },
	{ 6, "SMS Security Mode", LWM2M_T_INTEGER, 0, 0, 0 },
	{ 7, "SMS Binding Key Parameters", LWM2M_T_OPAQUE, 0, 0, 0 },
	{ 8, "SMS Binding Secret Key(s)", LWM2M_T_OPAQUE, 0, 0, 0 },
	{ 9, "LwM2M Server SMS Number", LWM2M_T_STRING, 0, 0, 0 },
	{ 10, "Short Server ID", LWM2M_T_INTEGER, 0, 0, 0 },
	{ 11, "Client Hold Off Time", LWM2M_T_INTEGER, 0, 0, 0 },
	{ 12, "Bootstrap-Server Account Timeout", LWM2M_T_INTEGER, 0, 0, 0 },
	{ 13, "Matching Type", LWM2M_T_UNSIGNED, 0, 0, 0 },
	{ 14, "SNI", LWM2M_T_STRING, 0, 0, 0 },
	{ 15, "Certificate Usage", LWM2M_T_UNSIGNED, 0, 0, 0 },
	{ 16, "DTLS/TLS Ciphersuite", LWM2M_T_UNSIGNED, 0, 1, 0 },
	{ 17, "OSCORE Security Mode", LWM2M_T_OBJLNK, 0, 0, 0 },
	{ 18, "Groups To Use by Client", LWM2M_T_UNSIGNED, 0, 1, 0 },
	{ 19, "Signature Algorithms Supported by Server", LWM2M_T_UNSIGNED, 0, 1, 0 },
	{ 20, "Signature Algorithms To Use by Client", LWM2M_T_UNSIGNED, 0, 1, 0 },
	{ 21, "Signature Algorithm Certs Supported by Server", LWM2M_T_UNSIGNED, 0, 1, 0 },
	{ 22, "TLS 1.3 Features To Use by Client", LWM2M_T_UNSIGNED, 0, 0, 0 },
	{ 23, "TLS Extensions Supported by Server", LWM2M_T_UNSIGNED, 0, 0, 0 },
	{ 24, "TLS Extensions To Use by Client", LWM2M_T_UNSIGNED, 0, 0, 0 },
	{ 25, "Secondary LwM2M Server URI", LWM2M_T_STRING, 0, 1, 0 },
	{ 26, "MQTT Server", LWM2M_T_OBJLNK, 0, 0, 0 },
	{ 27, "LwM2M COSE Security", LWM2M_T_OBJLNK, 0, 1, 0 },
	{ 28, "RDS Destination Port", LWM2M_T_INTEGER, 0, 0, 0 },
	{ 29, "RDS Source Port", LWM2M_T_INTEGER, 0, 0, 0 },
	{ 30, "RDS Application ID", LWM2M_T_STRING, 0, 0, 0 },
};

static const lwm2m_resource_def res_1[] = {
	{ 0, "Short Server ID", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 1 },
	{ 1, "Lifetime", LWM2M_T_INTEGER, LWM2M_OP_R|LWM2M_OP_W, 0, 1 },
	{ 2, "Default Minimum Period", LWM2M_T_INTEGER, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 3, "Default Maximum Period", LWM2M_T_INTEGER, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 4, "Disable", LWM2M_T_NONE, LWM2M_OP_E, 0, 0 },
	{ 5, "Disable Timeout", LWM2M_T_INTEGER, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 6, "Notification Storing When Disabled or Offline", LWM2M_T_BOOLEAN, LWM2M_OP_R|LWM2M_OP_W, 0, 1 },
	{ 7, "Binding", LWM2M_T_STRING, LWM2M_OP_R|LWM2M_OP_W, 0, 1 },
	{ 8, "Registration Update Trigger", LWM2M_T_NONE, LWM2M_OP_E, 0, 1 },
	{ 9, "Bootstrap-Request Trigger", LWM2M_T_NONE, LWM2M_OP_E, 0, 0 },
	{ 10, "APN Link", LWM2M_T_OBJLNK, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 11, "TLS-DTLS Alert Code", LWM2M_T_UNSIGNED, LWM2M_OP_R, 0, 0 },
	{ 12, "Last Bootstrapped", LWM2M_T_TIME, LWM2M_OP_R, 0, 0 },
	{ 13, "Registration Priority Order", LWM2M_T_UNSIGNED, LWM2M_OP_R, 0, 0 },
	{ 14, "Initial Registration Delay Timer", LWM2M_T_UNSIGNED, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 15, "Registration Failure Block", LWM2M_T_BOOLEAN, LWM2M_OP_R, 0, 0 },
	{ 16, "Bootstrap on Registration Failure", LWM2M_T_BOOLEAN, LWM2M_OP_R, 0, 0 },
	{ 17, "Communication Retry Count", LWM2M_T_UNSIGNED, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 18, "Communication Retry Timer", LWM2M_T_UNSIGNED, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 19, "Communication Sequence Delay Timer", LWM2M_T_UNSIGNED, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 20, "Communication Sequence Retry Count", LWM2M_T_UNSIGNED, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 21, "Trigger", LWM2M_T_BOOLEAN, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 22, "Preferred Transport", LWM2M_T_STRING, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 23, "Mute Send", LWM2M_T_BOOLEAN, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 24, "Alternate APN Links", LWM2M_T_OBJLNK, LWM2M_OP_R|LWM2M_OP_W, 1, 0 },
	{ 25, "Supported Server Versions", LWM2M_T_STRING, LWM2M_OP_R|LWM2M_OP_W, 1, 0 },
	{ 26, "Default Notification Mode", LWM2M_T_INTEGER, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 27, "Profile ID Hash Algorithm", LWM2M_T_UNSIGNED, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
};

static const lwm2m_resource_def res_3[] = {
	{ 0, "Manufacturer", LWM2M_T_STRING, LWM2M_OP_R, 0, 0 },
	{ 1, "Model Number", LWM2M_T_STRING, LWM2M_OP_R, 0, 0 },
	{ 2, "Serial Number", LWM2M_T_STRING, LWM2M_OP_R, 0, 0 },
	{ 3, "Firmware Version", LWM2M_T_STRING, LWM2M_OP_R, 0, 0 },
	{ 4, "Reboot", LWM2M_T_NONE, LWM2M_OP_E, 0, 1 },
	{ 5, "Factory Reset", LWM2M_T_NONE, LWM2M_OP_E, 0, 0 },
	{ 6, "Available Power Sources", LWM2M_T_INTEGER, LWM2M_OP_R, 1, 0 },
	{ 7, "Power Source Voltage", LWM2M_T_INTEGER, LWM2M_OP_R, 1, 0 },
	{ 8, "Power Source Current", LWM2M_T_INTEGER, LWM2M_OP_R, 1, 0 },
	{ 9, "Battery Level", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 0 },
	{ 10, "Memory Free", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 0 },
	{ 11, "Error Code", LWM2M_T_INTEGER, LWM2M_OP_R, 1, 1 },
	{ 12, "Reset Error Code", LWM2M_T_NONE, LWM2M_OP_E, 0, 0 },
	{ 13, "Current Time", LWM2M_T_TIME, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 14, "UTC Offset", LWM2M_T_STRING, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 15, "Timezone", LWM2M_T_STRING, LWM2M_OP_R|LWM2M_OP_W, 0, 0 },
	{ 16, "Supported Binding and Modes", LWM2M_T_STRING, LWM2M_OP_R, 0, 1 },
	{ 17, "Device Type", LWM2M_T_STRING, LWM2M_OP_R, 0, 0 },
	{ 18, "Hardware Version", LWM2M_T_STRING, LWM2M_OP_R, 0, 0 },
	{ 19, "Software Version", LWM2M_T_STRING, LWM2M_OP_R, 0, 0 },
	{ 20, "Battery Status", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 0 },
	{ 21, "Memory Total", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 0 },
	{ 22, "ExtDevInfo", LWM2M_T_OBJLNK, LWM2M_OP_R, 1, 0 },
};

static const lwm2m_resource_def res_4[] = {
	{ 0, "Network Bearer", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 1 },
	{ 1, "Available Network Bearer", LWM2M_T_INTEGER, LWM2M_OP_R, 1, 1 },
	{ 2, "Radio Signal Strength", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 1 },
	{ 3, "Link Quality", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 0 },
	{ 4, "IP Addresses", LWM2M_T_STRING, LWM2M_OP_R, 1, 1 },
	{ 5, "Router IP Addresses", LWM2M_T_STRING, LWM2M_OP_R, 1, 0 },
	{ 6, "Link Utilization", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 0 },
	{ 7, "APN", LWM2M_T_STRING, LWM2M_OP_R, 1, 0 },
	{ 8, "Cell ID", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 0 },
	{ 9, "SMNC", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 0 },
	{ 10, "SMCC", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 0 },
	{ 11, "SignalSNR", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 0 },
	{ 12, "LAC", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 0 },
	{ 13, "Coverage Enhancement Level", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 0 },
};

static const lwm2m_resource_def res_507[] = {
	{ 0, "encP", LWM2M_T_STRING, LWM2M_OP_R|LWM2M_OP_W, 0, 1 },
	{ 1, "mac", LWM2M_T_STRING, LWM2M_OP_R|LWM2M_OP_W, 0, 1 },
	{ 2, "eKpubDP", LWM2M_T_STRING, LWM2M_OP_R|LWM2M_OP_W, 0, 1 },
	{ 3, "SigEKpubDP", LWM2M_T_STRING, LWM2M_OP_R|LWM2M_OP_W, 0, 1 },
	{ 4, "KpubDP", LWM2M_T_STRING, LWM2M_OP_R|LWM2M_OP_W, 0, 1 },
	{ 5, "SigKpubDP", LWM2M_T_STRING, LWM2M_OP_R|LWM2M_OP_W, 0, 1 },
	{ 6, "KpubCI", LWM2M_T_STRING, LWM2M_OP_R|LWM2M_OP_W, 0, 1 },
};

static const lwm2m_resource_def res_508[] = {
	{ 0, "EID", LWM2M_T_STRING, LWM2M_OP_R, 0, 1 },
	{ 1, "ICCID", LWM2M_T_STRING, LWM2M_OP_R, 0, 1 },
	{ 2, "nuSIM Capabilities", LWM2M_T_OPAQUE, LWM2M_OP_R, 0, 1 },
	{ 3, "nuSIM Cert", LWM2M_T_STRING, LWM2M_OP_R, 0, 0 },
	{ 4, "nuSIM Profile", LWM2M_T_OBJLNK, LWM2M_OP_R|LWM2M_OP_W, 0, 1 },
	{ 5, "Load Profile", LWM2M_T_NONE, LWM2M_OP_E, 0, 1 },
	{ 6, "Load Profile Result", LWM2M_T_INTEGER, LWM2M_OP_R, 0, 1 },
};

static const lwm2m_object_def objects[] = {
	{ 0, "LWM2M Security", "1.2", 1, 1, sizeof res_0 / sizeof res_0[0], res_0 },
	{ 1, "LwM2M Server", "1.2", 1, 1, sizeof res_1 / sizeof res_1[0], res_1 },
	{ 3, "Device", "1.2", 0, 1, sizeof res_3 / sizeof res_3[0], res_3 },
	{ 4, "Connectivity Monitoring", "1.3", 0, 0, sizeof res_4 / sizeof res_4[0], res_4 },
	{ 507, "nuSIM Profile", "1.0", 1, 0, sizeof res_507 / sizeof res_507[0], res_507 },
	{ 508, "nuSIM", "1.0", 0, 0, sizeof res_508 / sizeof res_508[0], res_508 },
};

#define NOBJ (sizeof objects / sizeof objects[0])

const lwm2m_object_def *lwm2m_model_object(uint16_t obj)
{
	for (size_t i = 0; i < NOBJ; i++)
		if (objects[i].id == obj)
			return &objects[i];
	return NULL;
}

const lwm2m_resource_def *lwm2m_model_resource(uint16_t obj, uint16_t res)
{
	const lwm2m_object_def *o = lwm2m_model_object(obj);
	if (!o)
		return NULL;
	size_t lo = 0, hi = o->nres;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->res[mid].id == res)
			return &o->res[mid];
		if (o->res[mid].id < res)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

lwm2m_type lwm2m_model_type(const lwm2m_path *p)
{
	if (p->len < 3)
		return LWM2M_T_NONE;
	const lwm2m_resource_def *r = lwm2m_model_resource(p->id[0], p->id[2]);
	return r ? r->type : LWM2M_T_NONE;
}
