/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* req: CGI params to an http_request; the client's address behind trusted
 * proxies (the response side is each front's own). */
#include "req.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int req_name_is(const struct req_param *p, const char *name)
{
    size_t n = strlen(name);

    return p->nlen == n && memcmp(p->name, name, n) == 0;
}

static int req_value_is(const struct req_param *p, const char *v)
{
    size_t n = strlen(v);

    return p->vlen == n && strncasecmp(p->value, v, n) == 0;
}

int req_from_cgi(const struct req_param *p, size_t n, char *scratch,
                 size_t scratch_len, struct http_request *hreq,
                 struct req_cgi *cgi)
{
    const struct req_param *uri = NULL, *script = NULL, *pinfo = NULL,
                           *query = NULL;
    size_t i, j, used = 0, len;
    struct http_header *h;
    const char *q;

    memset(hreq, 0, sizeof *hreq);
    memset(cgi, 0, sizeof *cgi);
    hreq->minor_version = 1;
    for (i = 0; i < n; i++) {
        const char *hname = NULL;
        size_t skip = 0;

        if (req_name_is(&p[i], "REQUEST_METHOD")) {
            hreq->method = p[i].value;
            hreq->method_len = p[i].vlen;
        } else if (req_name_is(&p[i], "REQUEST_URI")) {
            uri = &p[i];
        } else if (req_name_is(&p[i], "SCRIPT_NAME")) {
            script = &p[i];
        } else if (req_name_is(&p[i], "PATH_INFO")) {
            pinfo = &p[i];
        } else if (req_name_is(&p[i], "QUERY_STRING")) {
            query = &p[i];
        } else if (req_name_is(&p[i], "REMOTE_ADDR")) {
            cgi->remote_addr = p[i].value;
            cgi->remote_addr_len = p[i].vlen;
        } else if (req_name_is(&p[i], "REMOTE_PORT")) {
            cgi->remote_port = 0;
            for (j = 0; j < p[i].vlen && j < 6; j++)
                if (p[i].value[j] >= '0' && p[i].value[j] <= '9')
                    cgi->remote_port =
                        cgi->remote_port * 10 + (p[i].value[j] - '0');
        } else if (req_name_is(&p[i], "HTTPS")) {
            cgi->https |= req_value_is(&p[i], "on") || req_value_is(&p[i], "1");
        } else if (req_name_is(&p[i], "REQUEST_SCHEME")) {
            cgi->https |= req_value_is(&p[i], "https");
        } else if (req_name_is(&p[i], "CONTENT_TYPE")) {
            hname = "CONTENT_TYPE";
        } else if (req_name_is(&p[i], "CONTENT_LENGTH")) {
            if (p[i].vlen > 0) {
                if (p[i].vlen > 15)
                    return -1;
                for (j = 0; j < p[i].vlen; j++) {
                    if (p[i].value[j] < '0' || p[i].value[j] > '9')
                        return -1;
                    cgi->content_length = cgi->content_length * 10 +
                                          (size_t)(p[i].value[j] - '0');
                }
                hname = "CONTENT_LENGTH";
            }
        } else if (p[i].nlen > 5 && memcmp(p[i].name, "HTTP_", 5) == 0) {
            hname = p[i].name;
            skip = 5;
        }
        if (hname == NULL)
            continue;
        if (hreq->num_headers == HTTP_MAX_HEADERS)
            continue; /* the headers we read are few; drop the rest */
        len = (hname == p[i].name ? p[i].nlen : strlen(hname)) - skip;
        if (scratch_len - used < len)
            return -1;
        h = &hreq->headers[hreq->num_headers++];
        h->name = scratch + used;
        h->name_len = len;
        for (j = 0; j < len; j++)
            scratch[used + j] = hname[skip + j] == '_' ? '-' : hname[skip + j];
        used += len;
        h->value = p[i].value;
        h->value_len = p[i].vlen;
    }
    if (hreq->method == NULL || hreq->method_len == 0)
        return -1;
    if (uri != NULL && uri->vlen > 0) {
        q = memchr(uri->value, '?', uri->vlen);
        hreq->path = uri->value;
        hreq->path_len = q ? (size_t)(q - uri->value) : uri->vlen;
        if (q != NULL) {
            hreq->query = q + 1;
            hreq->query_len = uri->vlen - hreq->path_len - 1;
        }
    } else {
        len = (script ? script->vlen : 0) + (pinfo ? pinfo->vlen : 0);
        if (len == 0 || scratch_len - used < len)
            return -1;
        if (script != NULL)
            memcpy(scratch + used, script->value, script->vlen);
        if (pinfo != NULL)
            memcpy(scratch + used + (script ? script->vlen : 0), pinfo->value,
                   pinfo->vlen);
        hreq->path = scratch + used;
        hreq->path_len = len;
    }
    if (hreq->query == NULL && query != NULL && query->vlen > 0) {
        hreq->query = query->value;
        hreq->query_len = query->vlen;
    }
    if (hreq->path_len == 0 || hreq->path[0] != '/')
        return -1;
    return 0;
}

/* Copies one trimmed comma-separated item ending before `end`. */
static size_t req_item(const char *s, const char *end, char *out, size_t outlen)
{
    size_t n;

    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    n = (size_t)(end - s);
    if (n >= outlen)
        return 0;
    memcpy(out, s, n);
    out[n] = '\0';
    return n;
}

int req_client_addr(const char *peer, const char *xff, size_t xfflen,
                    int (*trusted)(const char *addr), char *out, size_t outlen)
{
    const char *end, *start;
    char item[64];
    int found = 0;

    snprintf(out, outlen, "%s", peer);
    if (xff == NULL || trusted == NULL || !trusted(peer))
        return 0;
    end = xff + xfflen;
    while (end > xff) {
        start = end;
        while (start > xff && start[-1] != ',')
            start--;
        if (req_item(start, end, item, sizeof item) > 0) {
            snprintf(out, outlen, "%s", item);
            found = 1;
            if (!trusted(item))
                break;
        }
        end = start > xff ? start - 1 : xff;
    }
    return found;
}

static int req_addr_match(const char *net, const char *addr)
{
    unsigned char a[16], b[16];
    char host[64];
    const char *slash = strchr(net, '/');
    size_t hl = slash ? (size_t)(slash - net) : strlen(net);
    int fam, bits, i;

    if (strcmp(net, "unix") == 0)
        return strcmp(addr, "local") == 0;
    if (hl >= sizeof host)
        return 0;
    memcpy(host, net, hl);
    host[hl] = '\0';
    fam = strchr(host, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(fam, host, a) != 1 || inet_pton(fam, addr, b) != 1)
        return 0;
    bits = slash ? atoi(slash + 1) : (fam == AF_INET ? 32 : 128);
    if (bits < 0 || bits > (fam == AF_INET ? 32 : 128))
        return 0;
    for (i = 0; bits > 0; i++, bits -= 8) {
        unsigned char m =
            bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
        if ((a[i] & m) != (b[i] & m))
            return 0;
    }
    return 1;
}

int req_addr_in_list(const char *list, const char *addr)
{
    const char *p = list, *e;
    char item[80];

    while (p != NULL && *p) {
        e = strchr(p, ',');
        if (e == NULL)
            e = p + strlen(p);
        if (req_item(p, e, item, sizeof item) > 0 && req_addr_match(item, addr))
            return 1;
        p = *e ? e + 1 : e;
    }
    return 0;
}

/* 1 when y is x followed by ":" and the port `def`. */
static int req_with_port(const char *x, size_t xlen, const char *y, size_t ylen,
                         const char *def)
{
    size_t dlen = strlen(def);

    return ylen == xlen + 1 + dlen && strncasecmp(x, y, xlen) == 0 &&
           y[xlen] == ':' && memcmp(y + xlen + 1, def, dlen) == 0;
}

int req_same_origin(const char *origin, size_t olen, const char *host,
                    size_t hlen)
{
    const char *a, *def;
    size_t alen;

    if (olen > 7 && strncasecmp(origin, "http://", 7) == 0) {
        a = origin + 7;
        def = "80";
    } else if (olen > 8 && strncasecmp(origin, "https://", 8) == 0) {
        a = origin + 8;
        def = "443";
    } else {
        return 0;
    }
    alen = olen - (size_t)(a - origin);
    if (hlen == 0 || memchr(a, '/', alen) != NULL)
        return 0;
    return (alen == hlen && strncasecmp(a, host, hlen) == 0) ||
           req_with_port(a, alen, host, hlen, def) ||
           req_with_port(host, hlen, a, alen, def);
}
