/*
 * linkformat.c: CoRE link format (RFC 6690) as LwM2M uses it: the Register
 * payload, Discover answers and Write-Attributes.
 *
 *   </>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</507>;ver=1.0
 *
 * Values may be quoted (with \" and \\ escapes, and ; or , inside) or bare
 * tokens; attributes may have no value. Whitespace (SP, HTAB, CR, LF) is
 * allowed around "," and ";", nowhere else; other control bytes are
 * refused. Bounded by LWM2M_MAX_LINK_PAYLOAD, LWM2M_MAX_LINKS and
 * MAX_ATTRS attributes a link.
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/lwm2m.h"

#define MAX_ATTRS 32

void lwm2m_links_init(lwm2m_links *l)
{
	memset(l, 0, sizeof *l);
}

static void link_free(lwm2m_link *k)
{
	for (size_t i = 0; i < k->nattr; i++) {
		free(k->attr[i].name);
		free(k->attr[i].value);
	}
	free(k->attr);
	free(k->target);
}

void lwm2m_links_free(lwm2m_links *l)
{
	for (size_t i = 0; i < l->n; i++)
		link_free(&l->link[i]);
	free(l->link);
	lwm2m_links_init(l);
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

lwm2m_err lwm2m_links_add(lwm2m_links *l, const char *target,
                          const lwm2m_link_attr *attr, size_t nattr)
{
	lwm2m_link k = { 0 };

	if (l->n >= LWM2M_MAX_LINKS || nattr > MAX_ATTRS)
		return LWM2M_ERR_TOO_LARGE;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		lwm2m_link *p = realloc(l->link, cap * sizeof *p);
		if (!p)
			return LWM2M_ERR_NOMEM;
		l->link = p;
		l->cap = cap;
	}
	k.target = dupn(target, strlen(target));
	k.attr = nattr ? calloc(nattr, sizeof *k.attr) : NULL;
	if (!k.target || (nattr && !k.attr))
		goto nomem;
	for (; k.nattr < nattr; k.nattr++) {
		const lwm2m_link_attr *a = &attr[k.nattr];
		k.attr[k.nattr].name = dupn(a->name, strlen(a->name));
		k.attr[k.nattr].value = a->value ? dupn(a->value, strlen(a->value))
		                                 : NULL;
		if (!k.attr[k.nattr].name || (a->value && !k.attr[k.nattr].value)) {
			k.nattr++;
			goto nomem;
		}
	}
	k.is_path = lwm2m_path_parse(k.target, strlen(k.target), &k.path) ==
	            LWM2M_OK;
	if (!k.is_path)
		k.path.len = 0;
	l->link[l->n++] = k;
	return LWM2M_OK;
nomem:
	link_free(&k);
	return LWM2M_ERR_NOMEM;
}

const char *lwm2m_link_attr_get(const lwm2m_link *l, const char *name)
{
	for (size_t i = 0; i < l->nattr; i++)
		if (!strcmp(l->attr[i].name, name))
			return l->attr[i].value;
	return NULL;
}

/* ---- parse ----------------------------------------------------------- */

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* RFC 6690 parmname: token characters. */
static int is_name(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$&+-.^_`|~", c));
}

/* ptoken: printable ASCII but for space, '"', ',', ';' and '\'. */
static int is_ptoken(char c)
{
	unsigned char u = (unsigned char)c;
	return u > 0x20 && u < 0x7f && !strchr("\",;\\", c);
}

typedef struct {
	const char *s;
	size_t n, i;
} cursor;

static void skip_ws(cursor *c)
{
	while (c->i < c->n && is_ws(c->s[c->i]))
		c->i++;
}

/* Parses one `<target>;attr...` into link storage; `scratch` holds the
 * unescaped strings (as long as the input, so unescaping cannot overflow). */
static lwm2m_err parse_link(cursor *c, char *scratch, lwm2m_links *out)
{
	lwm2m_link_attr attr[MAX_ATTRS];
	size_t nattr = 0, sp = 0;
	const char *target;

	if (c->i >= c->n || c->s[c->i] != '<')
		return LWM2M_ERR_MALFORMED;
	c->i++;
	size_t t0 = c->i;
	while (c->i < c->n && c->s[c->i] != '>') {
		unsigned char ch = (unsigned char)c->s[c->i];
		if (is_ctl(ch) || ch == ' ' || ch == '<')
			return LWM2M_ERR_MALFORMED;
		c->i++;
	}
	if (c->i >= c->n || c->i == t0)
		return LWM2M_ERR_MALFORMED; /* unterminated or empty target */
	memcpy(scratch, c->s + t0, c->i - t0);
	scratch[c->i - t0] = 0;
	target = scratch;
	sp = c->i - t0 + 1;
	c->i++;

	for (;;) {
		skip_ws(c);
		if (c->i >= c->n || c->s[c->i] != ';')
			break;
		c->i++;
		skip_ws(c);
		if (nattr == MAX_ATTRS)
			return LWM2M_ERR_TOO_LARGE;
		size_t a0 = c->i;
		while (c->i < c->n && is_name(c->s[c->i]))
			c->i++;
		if (c->i == a0)
			return LWM2M_ERR_MALFORMED;
		attr[nattr].name = scratch + sp;
		memcpy(scratch + sp, c->s + a0, c->i - a0);
		sp += c->i - a0;
		scratch[sp++] = 0;
		attr[nattr].value = NULL;
		if (c->i < c->n && c->s[c->i] == '=') {
			c->i++;
			attr[nattr].value = scratch + sp;
			if (c->i < c->n && c->s[c->i] == '"') {
				c->i++;
				for (;;) {
					if (c->i >= c->n)
						return LWM2M_ERR_MALFORMED;
					char ch = c->s[c->i++];
					if (ch == '"')
						break;
					if (ch == '\\') {
						if (c->i >= c->n)
							return LWM2M_ERR_MALFORMED;
						ch = c->s[c->i++];
					}
					if (is_ctl((unsigned char)ch) && ch != '\t')
						return LWM2M_ERR_MALFORMED;
					scratch[sp++] = ch;
				}
			} else {
				size_t v0 = c->i;
				while (c->i < c->n && is_ptoken(c->s[c->i]))
					c->i++;
				if (c->i == v0)
					return LWM2M_ERR_MALFORMED;
				memcpy(scratch + sp, c->s + v0, c->i - v0);
				sp += c->i - v0;
			}
			scratch[sp++] = 0;
		}
		nattr++;
	}
	return lwm2m_links_add(out, target, attr, nattr);
}

lwm2m_err lwm2m_links_parse(const char *in, size_t n, lwm2m_links *out)
{
	cursor c = { .s = in, .n = n };
	size_t n0 = out->n;
	lwm2m_err rc = LWM2M_OK;
	char *scratch;

	if (n > LWM2M_MAX_LINK_PAYLOAD)
		return LWM2M_ERR_TOO_LARGE;
	if (!in && n)
		return LWM2M_ERR_MALFORMED;
	/* unescaped strings are never longer than the input, plus NULs */
	scratch = malloc(2 * n + 2);
	if (!scratch)
		return LWM2M_ERR_NOMEM;
	skip_ws(&c);
	while (c.i < c.n) {
		if (out->n - n0 >= LWM2M_MAX_LINKS) {
			rc = LWM2M_ERR_TOO_LARGE;
			break;
		}
		if ((rc = parse_link(&c, scratch, out)))
			break;
		skip_ws(&c);
		if (c.i >= c.n)
			break;
		if (c.s[c.i] != ',') {
			rc = LWM2M_ERR_MALFORMED;
			break;
		}
		c.i++;
		skip_ws(&c);
		if (c.i >= c.n) {
			rc = LWM2M_ERR_MALFORMED; /* a trailing comma */
			break;
		}
	}
	free(scratch);
	if (rc) {
		while (out->n > n0)
			link_free(&out->link[--out->n]);
	}
	return rc;
}

/* ---- format ---------------------------------------------------------- */

static int needs_quotes(const char *name, const char *v)
{
	if (!*v || !strcmp(name, "rt") || !strcmp(name, "if") ||
	    !strcmp(name, "title") || !strcmp(name, "anchor"))
		return 1;
	for (; *v; v++)
		if (!is_ptoken(*v))
			return 1;
	return 0;
}

static int put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 256;
		while (c < *len + n + 1)
			c *= 2;
		char *p = realloc(*buf, c);
		if (!p)
			return -1;
		*buf = p;
		*cap = c;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = 0;
	return 0;
}

lwm2m_err lwm2m_links_format(const lwm2m_links *l, char **out, size_t *outlen)
{
	char *b = NULL;
	size_t n = 0, cap = 0;
	int bad = put(&b, &n, &cap, "", 0);

	for (size_t i = 0; i < l->n && !bad; i++) {
		const lwm2m_link *k = &l->link[i];
		bad |= (i && put(&b, &n, &cap, ",", 1)) ||
		       put(&b, &n, &cap, "<", 1) ||
		       put(&b, &n, &cap, k->target, strlen(k->target)) ||
		       put(&b, &n, &cap, ">", 1);
		for (size_t a = 0; a < k->nattr && !bad; a++) {
			const char *v = k->attr[a].value;
			bad |= put(&b, &n, &cap, ";", 1) ||
			       put(&b, &n, &cap, k->attr[a].name,
			           strlen(k->attr[a].name));
			if (!v || bad)
				continue;
			if (!needs_quotes(k->attr[a].name, v)) {
				bad |= put(&b, &n, &cap, "=", 1) ||
				       put(&b, &n, &cap, v, strlen(v));
				continue;
			}
			bad |= put(&b, &n, &cap, "=\"", 2);
			for (; *v && !bad; v++) {
				if (*v == '"' || *v == '\\')
					bad |= put(&b, &n, &cap, "\\", 1);
				bad |= put(&b, &n, &cap, v, 1);
			}
			bad |= put(&b, &n, &cap, "\"", 1);
		}
	}
	if (bad) {
		free(b);
		return LWM2M_ERR_NOMEM;
	}
	*out = b;
	if (outlen)
		*outlen = n;
	return LWM2M_OK;
}
