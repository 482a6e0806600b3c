/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* soak-client: the soak's churning clients, broadcaster and judge. */
/*
 * One process, one thread, one epoll. Each client is a raw Engine.IO v4
 * WebSocket carrying Socket.IO v5 text packets (written here from RFC 6455
 * and the protocol docs, not with the daemon's codecs, so a codec bug is not
 * mirrored). A client connects, subscribes to one channel as the client
 * extension does (event "subscribe", acked [null, channel]), emits numbered
 * events with ack ids that the daemon relays (--relay) to the channel and
 * acks with [recipients], receives the relays and the RPC broadcasts, and
 * after a random lifetime leaves; a new client takes its place.
 *
 * Exactly once, as checked here. All clocks below are one logical counter
 * of this process (each observation gets the next number), so "before" is
 * exact. A message M is a relayed event or an RPC emit to channel C; it is
 * *accepted* when its ack (relay) or its RPC result arrives, at done(M).
 * A client R of channel C has its subscribe ack at sub(R) and sends its
 * unsubscribe at unsub(R) (graceful leave) and closes only after the
 * unsubscribe's ack. If M was sent after sub(R) and done(M) < unsub(R), the
 * daemon joined R before handling M and handled M before R's unsubscribe,
 * so R must receive M, exactly once, before the unsubscribe ack; that is
 * checked for every such pair ("required"). Besides: no client receives a
 * message twice, or one never sent, or one of another channel, or an RPC
 * broadcast out of order; no message reaches more clients than its ack or
 * result counted; every ack id gets exactly one ack, within --ack-timeout;
 * no connection is closed or refused by the daemon; with --abrupt 0, the
 * receipts of accepted messages add up to the recipients their acks and
 * results counted. Each failure is a
 * violation; the exit status is 1 when there is any.
 *
 *   soak-client --port P --rpc PATH [--clients N] [--duration S] ...
 *
 * Prints a progress line every --report seconds and, at the end, key=value
 * results (also to --out FILE).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* Messages remembered per channel and stream; a receiver's window must fit. */
#define SOAK_RING 32768u
#define SOAK_MAX_PENDING 8
#define SOAK_RPC_SLOT 0xffffffffu
#define SOAK_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define SOAK_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" /* RFC 6455 1.3 */

enum soak_state {
    SOAK_FREE,
    SOAK_CONNECTING,  /* TCP connect in progress */
    SOAK_UPGRADING,   /* HTTP upgrade sent */
    SOAK_OPENING,     /* waiting for the Engine.IO open packet */
    SOAK_JOINING,     /* "40" sent, waiting for the namespace connect */
    SOAK_SUBSCRIBING, /* subscribe sent */
    SOAK_READY,
    SOAK_LEAVING, /* unsubscribe sent; draining acks */
    SOAK_CLOSING, /* close frame sent; waiting for the daemon's */
};

enum soak_ack_kind { SOAK_ACK_SUB, SOAK_ACK_EMIT, SOAK_ACK_UNSUB };

struct soak_pending {
    uint32_t id;
    uint8_t kind;
    uint32_t seq;
    int64_t since_ms;
};

/* Which messages of one stream a client has seen: bit (seq - base). */
struct soak_seen {
    uint32_t base, nbits;
    uint8_t *bits;
    uint32_t first;   /* stream.next at sub(R) */
    int64_t last_rpc; /* order check for the RPC stream */
};

struct soak_client {
    int fd;
    uint8_t state;
    uint8_t abrupt; /* leaves by closing the TCP connection only */
    uint16_t ch;
    uint32_t gen;     /* which client this is, over the whole run */
    int64_t state_ms; /* when the state was entered */
    int64_t leave_ms; /* when it is to leave */
    uint64_t sub_at, unsub_at;
    uint32_t next_ack;
    unsigned npending;
    struct soak_pending pending[SOAK_MAX_PENDING];
    struct soak_seen seen[2];
    char *in; /* bytes of an incomplete frame */
    size_t inlen;
    char *out; /* bytes the kernel did not take */
    size_t outlen;
};

struct soak_msg {
    uint32_t seq;
    int32_t n;     /* recipients per ack/result; -1 until done */
    uint32_t got;  /* receipts over all clients */
    uint32_t from; /* the sending client (relay), which does not hear it */
    uint64_t done; /* logical time of acceptance, 0 until then */
};

/* Stream 0: relayed client events; stream 1: RPC broadcasts. */
struct soak_stream {
    uint32_t next;
    struct soak_msg *ring;
};

struct soak_chan {
    struct soak_stream s[2];
};

struct soak_rpc_req {
    uint16_t ch;
    uint32_t seq;
    uint8_t used;
};

static struct {
    const char *host, *rpc_path, *out_path;
    int port, clients, channels, addrs, payload;
    double duration, emit_rate, rpc_rate, ramp, life_min, life_max, abrupt;
    double report, ack_timeout;
} opt = {
    .host = "127.0.0.1",
    .rpc_path =
        "/run/socketiod/socketiod.sock", /* scripts/soak.sh gives --rpc */
    .port = 9000,
    .clients = 10000,
    .channels = 100,
    .addrs = 16,
    .payload = 64,
    .duration = 60,
    .emit_rate = 160,
    .rpc_rate = 100,
    .ramp = 500,
    .life_min = 30,
    .life_max = 300,
    .abrupt = 0.1,
    .report = 10,
    .ack_timeout = 30,
};

static struct {
    uint64_t connects, leaves, leaves_abrupt, connect_fail, emits, acks,
        rpc_sent, rpc_ok, delivered, delivered_relay, delivered_rpc, required,
        unchecked, pings, bytes_in, sum_n, sum_got;
    uint64_t v_dup, v_missing, v_phantom, v_wrong_channel, v_order, v_over,
        v_unknown_ack, v_ack_timeout, v_bad_ack, v_closed, v_protocol, v_stuck,
        v_rpc_error, v_refused, v_lost;
} st;

static struct soak_client *soak_cl;
static struct soak_chan *soak_ch;
static int soak_ep, soak_rpc_fd = -1;
static char *soak_rpc_in, *soak_rpc_out;
static size_t soak_rpc_inlen, soak_rpc_outlen;
static struct soak_rpc_req *soak_rpc_reqs;
static uint32_t soak_rpc_next_id = 1, soak_rpc_inflight;
static uint64_t soak_clock;
static uint32_t soak_gen;
static int64_t soak_start_ms;
static volatile sig_atomic_t soak_stop;
static char soak_pad[4096];
static uint64_t soak_rng = 0x9e3779b97f4a7c15ull;
#define SOAK_RPC_REQS 65536u

static uint64_t soak_rand(void)
{
    soak_rng ^= soak_rng << 13;
    soak_rng ^= soak_rng >> 7;
    soak_rng ^= soak_rng << 17;
    return soak_rng;
}

static double soak_uniform(void)
{
    return (double)(soak_rand() >> 11) / 9007199254740992.0;
}

static int64_t soak_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t soak_violations(void)
{
    return st.v_dup + st.v_missing + st.v_phantom + st.v_wrong_channel +
           st.v_order + st.v_over + st.v_unknown_ack + st.v_ack_timeout +
           st.v_bad_ack + st.v_closed + st.v_protocol + st.v_stuck +
           st.v_rpc_error + st.v_refused + st.v_lost;
}

/* The first few violations are described on stderr; all are counted. */
static void soak_violation(uint64_t *counter, const char *fmt, ...)
{
    static unsigned told;
    va_list ap;

    (*counter)++;
    if (told++ < 50) {
        va_start(ap, fmt);
        fprintf(stderr, "soak-client: VIOLATION at %.1fs: ",
                (soak_now_ms() - soak_start_ms) / 1000.0);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
}

/* ---- output ---- */

static void soak_epoll_mod(uint32_t slot, int fd, int want_out)
{
    struct epoll_event ev;

    ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0);
    ev.data.u32 = slot;
    epoll_ctl(soak_ep, EPOLL_CTL_MOD, fd, &ev);
}

static int soak_queue(char **buf, size_t *len, const char *p, size_t n)
{
    char *nb = realloc(*buf, *len + n);

    if (nb == NULL)
        return -1;
    memcpy(nb + *len, p, n);
    *buf = nb;
    *len += n;
    return 0;
}

/* Writes what the kernel takes now and keeps the rest for EPOLLOUT. */
static void soak_write(uint32_t slot, int fd, char **buf, size_t *len,
                       const char *p, size_t n)
{
    ssize_t w = 0;

    if (*len == 0) {
        w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return; /* the read side will see the error */
            w = 0;
        }
        if ((size_t)w == n)
            return;
        soak_epoll_mod(slot, fd, 1);
    }
    soak_queue(buf, len, p + w, n - (size_t)w);
}

static void soak_flush(uint32_t slot, int fd, char **buf, size_t *len)
{
    ssize_t w = send(fd, *buf, *len, MSG_NOSIGNAL);

    if (w <= 0)
        return;
    memmove(*buf, *buf + w, *len - (size_t)w);
    *len -= (size_t)w;
    if (*len == 0) {
        free(*buf);
        *buf = NULL;
        soak_epoll_mod(slot, fd, 0);
    }
}

/* One masked WebSocket frame from a client (RFC 6455 5.2, 5.3). */
static void soak_ws_send(uint32_t slot, int opcode, const char *p, size_t n)
{
    struct soak_client *c = &soak_cl[slot];
    char stackbuf[8192], *f = stackbuf;
    uint32_t key = (uint32_t)soak_rand();
    unsigned char mask[4];
    size_t h = 0, i;

    if (n + 14 > sizeof stackbuf && (f = malloc(n + 14)) == NULL)
        return;
    f[h++] = (char)(0x80 | opcode);
    if (n < 126) {
        f[h++] = (char)(0x80 | n);
    } else {
        f[h++] = (char)(0x80 | 126);
        f[h++] = (char)(n >> 8);
        f[h++] = (char)(n & 0xff);
    }
    memcpy(mask, &key, 4);
    memcpy(f + h, mask, 4);
    h += 4;
    for (i = 0; i < n; i++)
        f[h + i] = (char)(p[i] ^ mask[i & 3]);
    soak_write(slot, c->fd, &c->out, &c->outlen, f, h + n);
    if (f != stackbuf)
        free(f);
}

static void soak_text(uint32_t slot, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof buf)
        soak_ws_send(slot, 1, buf, (size_t)n);
}

/* ---- message records ---- */

static struct soak_msg *soak_msg_get(uint16_t ch, int stream, uint32_t seq)
{
    struct soak_msg *m = &soak_ch[ch].s[stream].ring[seq % SOAK_RING];

    return m->seq == seq ? m : NULL;
}

/* A record leaves the ring: its receipts can no longer be counted. */
static void soak_msg_retire(struct soak_msg *m)
{
    if (m->done == 0)
        return;
    st.sum_n += (uint64_t)m->n;
    st.sum_got += m->got;
}

static uint32_t soak_msg_new(uint16_t ch, int stream)
{
    struct soak_stream *s = &soak_ch[ch].s[stream];
    uint32_t seq = s->next++;
    struct soak_msg *m = &s->ring[seq % SOAK_RING];

    if (seq >= SOAK_RING)
        soak_msg_retire(m);
    m->seq = seq;
    m->n = -1;
    m->got = 0;
    m->done = 0;
    m->from = 0;
    return seq;
}

static void soak_msg_done(uint16_t ch, int stream, uint32_t seq, long n)
{
    struct soak_msg *m = soak_msg_get(ch, stream, seq);

    if (m == NULL)
        return;
    m->n = (int32_t)n;
    m->done = ++soak_clock;
    if (m->got > (uint32_t)n)
        soak_violation(&st.v_over,
                       "channel %u stream %d seq %u: %u receipts, "
                       "%ld recipients",
                       ch, stream, seq, m->got, n);
}

/* ---- per-client bookkeeping ---- */

static int soak_seen_set(struct soak_seen *s, uint32_t seq)
{
    uint32_t off = seq - s->base, nb;
    uint8_t *bits;

    if (off >= s->nbits) {
        nb = s->nbits ? s->nbits : 1024;
        while (nb <= off)
            nb *= 2;
        bits = realloc(s->bits, nb / 8);
        if (bits == NULL)
            return -1;
        memset(bits + s->nbits / 8, 0, (nb - s->nbits) / 8);
        s->bits = bits;
        s->nbits = nb;
    }
    if (s->bits[off / 8] & (1u << (off % 8)))
        return 1;
    s->bits[off / 8] |= (uint8_t)(1u << (off % 8));
    return 0;
}

static int soak_seen_has(const struct soak_seen *s, uint32_t seq)
{
    uint32_t off = seq - s->base;

    return off < s->nbits && (s->bits[off / 8] & (1u << (off % 8)));
}

static void soak_set_state(struct soak_client *c, int state)
{
    c->state = (uint8_t)state;
    c->state_ms = soak_now_ms();
}

static void soak_close(uint32_t slot)
{
    struct soak_client *c = &soak_cl[slot];
    int i;

    if (c->fd >= 0) {
        epoll_ctl(soak_ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    for (i = 0; i < 2; i++)
        free(c->seen[i].bits);
    free(c->in);
    free(c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->state = SOAK_FREE;
}

static int soak_add_pending(struct soak_client *c, int kind, uint32_t seq)
{
    struct soak_pending *p;

    if (c->npending == SOAK_MAX_PENDING)
        return -1;
    p = &c->pending[c->npending++];
    p->id = c->next_ack++;
    p->kind = (uint8_t)kind;
    p->seq = seq;
    p->since_ms = soak_now_ms();
    return (int)p->id;
}

/* Graceful leave, step 1: the receipts this client owed are checked when
 * the unsubscribe's ack arrives (everything before it has been read). */
static void soak_leave(uint32_t slot)
{
    struct soak_client *c = &soak_cl[slot];
    int id;

    if (c->abrupt) {
        st.leaves++;
        st.leaves_abrupt++;
        soak_close(slot);
        return;
    }
    id = soak_add_pending(c, SOAK_ACK_UNSUB, 0);
    if (id < 0)
        return; /* try again at the next tick */
    c->unsub_at = ++soak_clock;
    soak_text(slot, "42%d[\"unsubscribe\",\"c%u\"]", id, c->ch);
    soak_set_state(c, SOAK_LEAVING);
}

static void soak_check_required(struct soak_client *c)
{
    int s;
    uint32_t seq, end;

    for (s = 0; s < 2; s++) {
        struct soak_seen *sn = &c->seen[s];
        end = soak_ch[c->ch].s[s].next;
        for (seq = sn->first; seq != end; seq++) {
            struct soak_msg *m = soak_msg_get(c->ch, s, seq);
            if (m == NULL) {
                st.unchecked++;
                continue;
            }
            if (m->done == 0 || m->done > c->unsub_at || m->from == c->gen)
                continue; /* not accepted before the unsubscribe left */
            st.required++;
            if (!soak_seen_has(sn, seq))
                soak_violation(&st.v_missing,
                               "client %u channel %u: %s "
                               "message %u accepted but never received",
                               c->gen, c->ch, s ? "rpc" : "relayed", seq);
        }
    }
}

static void soak_finish_leave(uint32_t slot)
{
    struct soak_client *c = &soak_cl[slot];

    /* Socket.IO disconnect, then a WebSocket close; the daemon answers the
     * close and ends the TCP connection. */
    soak_text(slot, "41");
    soak_ws_send(slot, 8, "\x03\xe8", 2);
    soak_set_state(c, SOAK_CLOSING);
}

/* ---- packets from the daemon ---- */

static long soak_num(const char **p)
{
    char *e;
    long v = strtol(*p, &e, 10);

    if (e == *p)
        return -1;
    *p = e;
    return v;
}

static void soak_receipt(uint32_t slot, int stream, const char *p)
{
    struct soak_client *c = &soak_cl[slot];
    struct soak_seen *sn = &c->seen[stream];
    long ch, seq;
    struct soak_msg *m;
    int dup;

    ch = soak_num(&p);
    if (*p != ',' || ch < 0) {
        soak_violation(&st.v_protocol, "client %u: bad event args", c->gen);
        return;
    }
    p++;
    seq = soak_num(&p);
    if (seq < 0) {
        soak_violation(&st.v_protocol, "client %u: bad event seq", c->gen);
        return;
    }
    st.delivered++;
    if (stream)
        st.delivered_rpc++;
    else
        st.delivered_relay++;
    if (ch != c->ch) {
        soak_violation(&st.v_wrong_channel,
                       "client %u of channel %u got "
                       "channel %ld's message %ld",
                       c->gen, c->ch, ch, seq);
        return;
    }
    /* The subscribe ack is queued right after the join, before anything
     * the channel hears. */
    if (c->state != SOAK_READY && c->state != SOAK_LEAVING) {
        soak_violation(&st.v_phantom, "client %u: message in state %d", c->gen,
                       c->state);
        return;
    }
    if ((uint32_t)seq >= soak_ch[ch].s[stream].next) {
        soak_violation(&st.v_phantom, "client %u: %s message %ld never sent",
                       c->gen, stream ? "rpc" : "relayed", seq);
        return;
    }
    m = soak_msg_get((uint16_t)ch, stream, (uint32_t)seq);
    if (m != NULL && stream == 0 && m->from == c->gen)
        soak_violation(&st.v_wrong_channel,
                       "client %u got its own relayed "
                       "message %ld back",
                       c->gen, seq);
    if (m != NULL) {
        m->got++;
        if (m->done && m->got > (uint32_t)m->n)
            soak_violation(&st.v_over,
                           "channel %ld %s seq %ld: %u receipts, "
                           "%d recipients",
                           ch, stream ? "rpc" : "relayed", seq, m->got, m->n);
    }
    if ((uint32_t)seq - sn->base >= 0x80000000u) {
        st.unchecked++; /* sent long before this client subscribed */
        return;
    }
    if (stream == 1) {
        if (sn->last_rpc >= seq)
            soak_violation(&st.v_order,
                           "client %u channel %ld: rpc %ld "
                           "after %ld",
                           c->gen, ch, seq, (long)sn->last_rpc);
        sn->last_rpc = seq;
    }
    dup = soak_seen_set(sn, (uint32_t)seq);
    if (dup == 1)
        soak_violation(&st.v_dup,
                       "client %u channel %ld: %s message %ld "
                       "twice",
                       c->gen, ch, stream ? "rpc" : "relayed", seq);
}

static void soak_ack(uint32_t slot, const char *p)
{
    struct soak_client *c = &soak_cl[slot];
    struct soak_pending pd;
    long id = soak_num(&p), n;
    unsigned i;

    for (i = 0; i < c->npending; i++)
        if (c->pending[i].id == (uint32_t)id)
            break;
    if (id < 0 || i == c->npending) {
        soak_violation(&st.v_unknown_ack, "client %u: ack %ld not pending",
                       c->gen, id);
        return;
    }
    pd = c->pending[i];
    c->pending[i] = c->pending[--c->npending];
    st.acks++;
    switch (pd.kind) {
    case SOAK_ACK_SUB:
    case SOAK_ACK_UNSUB: {
        char want[64];
        snprintf(want, sizeof want, "[null,\"c%u\"]", c->ch);
        if (strcmp(p, want) != 0) {
            soak_violation(
                &st.v_bad_ack, "client %u: %s ack %s", c->gen,
                pd.kind == SOAK_ACK_SUB ? "subscribe" : "unsubscribe", p);
            return;
        }
        if (pd.kind == SOAK_ACK_SUB) {
            c->sub_at = ++soak_clock;
            c->seen[0].first = soak_ch[c->ch].s[0].next;
            c->seen[1].first = soak_ch[c->ch].s[1].next;
            soak_set_state(c, SOAK_READY);
        } else {
            soak_check_required(c);
        }
        break;
    }
    case SOAK_ACK_EMIT:
        /* [recipients]: the sender's channel members, less the sender */
        if (*p != '[' || (p++, n = soak_num(&p)) < 0 || *p != ']') {
            soak_violation(&st.v_bad_ack, "client %u: emit ack %s", c->gen, p);
            return;
        }
        soak_msg_done(c->ch, 0, pd.seq, n);
        break;
    }
    if (c->state == SOAK_LEAVING && c->npending == 0)
        soak_finish_leave(slot);
}

/* One Engine.IO packet (a text frame's payload, NUL-terminated). */
static void soak_packet(uint32_t slot, char *p, size_t n)
{
    struct soak_client *c = &soak_cl[slot];
    int id;

    (void)n;
    switch (p[0]) {
    case '0':
        if (c->state != SOAK_OPENING)
            goto bad;
        soak_text(slot, "40");
        soak_set_state(c, SOAK_JOINING);
        return;
    case '2':
        st.pings++;
        soak_text(slot, "3");
        return;
    case '4':
        break;
    default:
        goto bad;
    }
    switch (p[1]) {
    case '0':
        if (c->state != SOAK_JOINING || strncmp(p + 2, "{\"sid\":", 7) != 0)
            goto bad;
        id = soak_add_pending(c, SOAK_ACK_SUB, 0);
        c->seen[0].base = soak_ch[c->ch].s[0].next - 256;
        c->seen[1].base = soak_ch[c->ch].s[1].next - 256;
        if ((int32_t)c->seen[0].base < 0)
            c->seen[0].base = 0;
        if ((int32_t)c->seen[1].base < 0)
            c->seen[1].base = 0;
        c->seen[1].last_rpc = -1;
        soak_text(slot, "42%d[\"subscribe\",\"c%u\"]", id, c->ch);
        soak_set_state(c, SOAK_SUBSCRIBING);
        st.connects++;
        return;
    case '2':
        if (strncmp(p + 2, "[\"m\",", 5) == 0)
            soak_receipt(slot, 0, p + 7);
        else if (strncmp(p + 2, "[\"b\",", 5) == 0)
            soak_receipt(slot, 1, p + 7);
        else
            goto bad;
        return;
    case '3':
        soak_ack(slot, p + 2);
        return;
    default:
        break;
    }
bad:
    soak_violation(&st.v_protocol, "client %u in state %d: packet %.80s",
                   c->gen, c->state, p);
    soak_close(slot);
}

/* Frames in buf[0..len); returns the bytes consumed, or -1 to close. */
static long soak_frames(uint32_t slot, char *buf, size_t len)
{
    struct soak_client *c = &soak_cl[slot];
    size_t off = 0;

    while (len - off >= 2) {
        unsigned char b0 = (unsigned char)buf[off],
                      b1 = (unsigned char)buf[off + 1];
        size_t h = 2, n = b1 & 0x7f;
        char save;

        if (b1 & 0x80 || !(b0 & 0x80)) {
            soak_violation(&st.v_protocol,
                           "client %u: masked or fragmented "
                           "frame",
                           c->gen);
            return -1;
        }
        if (n == 126) {
            if (len - off < 4)
                break;
            n = ((size_t)(unsigned char)buf[off + 2] << 8) |
                (unsigned char)buf[off + 3];
            h = 4;
        } else if (n == 127) {
            soak_violation(&st.v_protocol, "client %u: huge frame", c->gen);
            return -1;
        }
        if (len - off < h + n)
            break;
        st.bytes_in += h + n;
        switch (b0 & 0x0f) {
        case 1:
            save = buf[off + h + n];
            buf[off + h + n] = '\0';
            soak_packet(slot, buf + off + h, n);
            if (c->state == SOAK_FREE)
                return -1;
            buf[off + h + n] = save;
            break;
        case 8:
            if (c->state != SOAK_CLOSING) {
                soak_violation(&st.v_closed,
                               "client %u: daemon closed the "
                               "WebSocket in state %d",
                               c->gen, c->state);
            } else {
                st.leaves++;
            }
            soak_close(slot);
            return -1;
        case 9:
            soak_ws_send(slot, 10, buf + off + h, n);
            break;
        case 10:
            break;
        default:
            soak_violation(&st.v_protocol, "client %u: opcode %d", c->gen,
                           b0 & 0x0f);
            return -1;
        }
        off += h + n;
    }
    return (long)off;
}

static void soak_upgrade_reply(uint32_t slot, char **buf, size_t *len)
{
    struct soak_client *c = &soak_cl[slot];
    char *end = memmem(*buf, *len, "\r\n\r\n", 4);
    size_t head;

    if (end == NULL)
        return;
    head = (size_t)(end - *buf) + 4;
    end[2] = '\0';
    if (strncmp(*buf, "HTTP/1.1 101", 12) != 0 ||
        strstr(*buf, SOAK_ACCEPT) == NULL) {
        soak_violation(&st.v_refused, "client %u: upgrade answered %.40s",
                       c->gen, *buf);
        soak_close(slot);
        return;
    }
    soak_set_state(c, SOAK_OPENING);
    *buf += head;
    *len -= head;
}

static void soak_readable(uint32_t slot)
{
    static char rbuf[1 << 16];
    struct soak_client *c = &soak_cl[slot];
    char *buf = rbuf;
    size_t len = 0;
    ssize_t r;
    long used;

    if (c->inlen > sizeof rbuf / 2) {
        soak_violation(&st.v_protocol, "client %u: oversized frame", c->gen);
        soak_close(slot);
        return;
    }
    memcpy(rbuf, c->in, c->inlen);
    len = c->inlen;
    r = recv(c->fd, rbuf + len, sizeof rbuf - len - 1, 0);
    if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (c->state == SOAK_CLOSING) {
            st.leaves++;
        } else {
            soak_violation(&st.v_closed,
                           "client %u: connection %s in "
                           "state %d",
                           c->gen, r ? strerror(errno) : "closed", c->state);
        }
        soak_close(slot);
        return;
    }
    len += (size_t)r;
    if (c->state == SOAK_UPGRADING) {
        soak_upgrade_reply(slot, &buf, &len);
        if (c->state == SOAK_UPGRADING) { /* head incomplete */
            if (len > 8192) {
                soak_violation(&st.v_refused, "client %u: huge reply head",
                               c->gen);
                soak_close(slot);
                return;
            }
            free(c->in);
            c->in = malloc(len);
            memcpy(c->in, buf, len);
            c->inlen = len;
            return;
        }
        if (c->state == SOAK_FREE)
            return;
    }
    used = soak_frames(slot, buf, len);
    if (used < 0) {
        if (c->state != SOAK_FREE)
            soak_close(slot);
        return;
    }
    free(c->in);
    c->in = NULL;
    c->inlen = len - (size_t)used;
    if (c->inlen) {
        c->in = malloc(c->inlen);
        memcpy(c->in, buf + used, c->inlen);
    }
}

/* ---- client life ---- */

static void soak_start(uint32_t slot)
{
    struct soak_client *c = &soak_cl[slot];
    struct sockaddr_in src, dst;
    struct epoll_event ev;
    int one = 1, fd;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        st.connect_fail++;
        return;
    }
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->gen = ++soak_gen;
    c->ch = (uint16_t)(soak_rand() % (uint64_t)opt.channels);
    c->abrupt = soak_uniform() < opt.abrupt;
    c->next_ack = 1;
    c->leave_ms =
        soak_now_ms() +
        (int64_t)(1000 * (opt.life_min +
                          soak_uniform() * (opt.life_max - opt.life_min)));
    /* Spread over 127.0.0.x so that churn does not run out of ports. */
    memset(&src, 0, sizeof src);
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000001u + c->gen % (uint32_t)opt.addrs);
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
        st.connect_fail++;
        close(fd);
        c->fd = -1;
        return;
    }
    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t)opt.port);
    inet_pton(AF_INET, opt.host, &dst.sin_addr);
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0 &&
        errno != EINPROGRESS) {
        st.connect_fail++;
        close(fd);
        c->fd = -1;
        return;
    }
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u32 = slot;
    epoll_ctl(soak_ep, EPOLL_CTL_ADD, fd, &ev);
    soak_set_state(c, SOAK_CONNECTING);
}

static void soak_connected(uint32_t slot)
{
    struct soak_client *c = &soak_cl[slot];
    char req[512];
    int err = 0, n;
    socklen_t el = sizeof err;

    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err != 0) {
        soak_violation(&st.v_refused, "client %u: connect: %s", c->gen,
                       strerror(err));
        soak_close(slot);
        return;
    }
    soak_epoll_mod(slot, c->fd, 0);
    n = snprintf(req, sizeof req,
                 "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                 "Host: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: " SOAK_KEY "\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n",
                 opt.host, opt.port);
    soak_set_state(c, SOAK_UPGRADING);
    soak_write(slot, c->fd, &c->out, &c->outlen, req, (size_t)n);
}

static void soak_emit(uint32_t slot)
{
    struct soak_client *c = &soak_cl[slot];
    uint32_t seq;
    int id;

    if (c->npending >= SOAK_MAX_PENDING - 1)
        return; /* keep room for the unsubscribe */
    seq = soak_msg_new(c->ch, 0);
    soak_msg_get(c->ch, 0, seq)->from = c->gen;
    id = soak_add_pending(c, SOAK_ACK_EMIT, seq);
    st.emits++;
    soak_text(slot, "42%d[\"m\",%u,%u,%u,\"%s\"]", id, c->ch, seq, c->gen,
              soak_pad);
}

/* ---- the RPC broadcaster ---- */

static void soak_rpc_emit(void)
{
    static uint16_t rr;
    char line[8192];
    uint16_t ch = rr++ % (uint16_t)opt.channels;
    struct soak_rpc_req *q;
    uint32_t seq, id;
    int n;

    if (soak_rpc_inflight >= SOAK_RPC_REQS / 2)
        return;
    id = soak_rpc_next_id++;
    q = &soak_rpc_reqs[id % SOAK_RPC_REQS];
    if (q->used)
        return;
    seq = soak_msg_new(ch, 1);
    q->used = 1;
    q->ch = ch;
    q->seq = seq;
    soak_rpc_inflight++;
    st.rpc_sent++;
    n = snprintf(line, sizeof line,
                 "{\"id\":%u,\"method\":\"emit\",\"params\":{\"event\":\"b\","
                 "\"args\":[%u,%u,\"%s\"],\"channel\":\"c%u\"}}\n",
                 id, ch, seq, soak_pad, ch);
    soak_write(SOAK_RPC_SLOT, soak_rpc_fd, &soak_rpc_out, &soak_rpc_outlen,
               line, (size_t)n);
}

static void soak_rpc_line(char *l)
{
    const char *p = strstr(l, "\"id\":"), *r;
    struct soak_rpc_req *q;
    long id, n;

    if (p == NULL)
        goto bad;
    p += 5;
    id = soak_num(&p);
    q = &soak_rpc_reqs[(uint32_t)id % SOAK_RPC_REQS];
    if (id < 0 || !q->used)
        goto bad;
    q->used = 0;
    soak_rpc_inflight--;
    r = strstr(l, "\"recipients\":");
    if (r == NULL)
        goto bad;
    r += 13;
    n = soak_num(&r);
    if (n < 0)
        goto bad;
    st.rpc_ok++;
    soak_msg_done(q->ch, 1, q->seq, n);
    return;
bad:
    soak_violation(&st.v_rpc_error, "rpc answered %.200s", l);
}

static void soak_rpc_readable(void)
{
    char buf[1 << 16], *nl, *s;
    ssize_t r = recv(soak_rpc_fd, buf, sizeof buf, 0);

    if (r <= 0) {
        if (r < 0 && errno == EAGAIN)
            return;
        soak_violation(&st.v_rpc_error, "rpc connection closed");
        epoll_ctl(soak_ep, EPOLL_CTL_DEL, soak_rpc_fd, NULL);
        close(soak_rpc_fd);
        soak_rpc_fd = -1;
        return;
    }
    soak_queue(&soak_rpc_in, &soak_rpc_inlen, buf, (size_t)r);
    s = soak_rpc_in;
    while ((nl = memchr(s, '\n', soak_rpc_inlen - (size_t)(s - soak_rpc_in)))) {
        *nl = '\0';
        soak_rpc_line(s);
        s = nl + 1;
    }
    soak_rpc_inlen -= (size_t)(s - soak_rpc_in);
    memmove(soak_rpc_in, s, soak_rpc_inlen);
}

static int soak_rpc_connect(void)
{
    struct sockaddr_un a;
    struct epoll_event ev;

    soak_rpc_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", opt.rpc_path);
    if (connect(soak_rpc_fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "soak-client: rpc %s: %s\n", opt.rpc_path,
                strerror(errno));
        return -1;
    }
    fcntl(soak_rpc_fd, F_SETFL, O_NONBLOCK);
    ev.events = EPOLLIN;
    ev.data.u32 = SOAK_RPC_SLOT;
    epoll_ctl(soak_ep, EPOLL_CTL_ADD, soak_rpc_fd, &ev);
    return 0;
}

/* ---- the loop ---- */

/* Leaves, timeouts and states stuck for too long: a scan of all slots. */
static void soak_scan(int64_t now, int draining)
{
    int64_t limit = (int64_t)(opt.ack_timeout * 1000);
    uint32_t i;
    unsigned k;

    for (i = 0; i < (uint32_t)opt.clients; i++) {
        struct soak_client *c = &soak_cl[i];
        if (c->state == SOAK_FREE)
            continue;
        for (k = 0; k < c->npending; k++) {
            if (now - c->pending[k].since_ms > limit) {
                soak_violation(&st.v_ack_timeout,
                               "client %u: ack %u (kind "
                               "%d) not in %.0fs",
                               c->gen, c->pending[k].id, c->pending[k].kind,
                               opt.ack_timeout);
                c->pending[k].since_ms = INT64_MAX / 2; /* once */
            }
        }
        if (c->state == SOAK_READY) {
            if (now >= c->leave_ms || draining)
                soak_leave(i);
        } else if (now - c->state_ms > limit) {
            soak_violation(&st.v_stuck, "client %u: in state %d for %.0fs",
                           c->gen, c->state, opt.ack_timeout);
            if (draining || c->state != SOAK_LEAVING)
                soak_close(i);
            else
                c->state_ms = now;
        }
    }
}

static void soak_progress(FILE *f, int64_t now)
{
    static uint64_t last_delivered;
    static int64_t last_ms;
    unsigned live = 0, ready = 0;
    int i;
    double dt =
        last_ms ? (now - last_ms) / 1000.0 : (now - soak_start_ms) / 1000.0;

    for (i = 0; i < opt.clients; i++) {
        live += soak_cl[i].state != SOAK_FREE;
        ready += soak_cl[i].state == SOAK_READY;
    }
    fprintf(f,
            "t=%.0f live=%u ready=%u connects=%llu leaves=%llu "
            "delivered=%llu rate=%.0f emits=%llu acks=%llu rpc=%llu "
            "violations=%llu\n",
            (now - soak_start_ms) / 1000.0, live, ready,
            (unsigned long long)st.connects, (unsigned long long)st.leaves,
            (unsigned long long)st.delivered,
            dt > 0 ? (st.delivered - last_delivered) / dt : 0,
            (unsigned long long)st.emits, (unsigned long long)st.acks,
            (unsigned long long)st.rpc_ok,
            (unsigned long long)soak_violations());
    fflush(f);
    last_delivered = st.delivered;
    last_ms = now;
}

static void soak_results(FILE *f, double load_s)
{
#define SOAK_KV(k) fprintf(f, #k "=%llu\n", (unsigned long long)st.k)
    fprintf(f, "duration_s=%.1f\nclients=%d\nchannels=%d\n", load_s,
            opt.clients, opt.channels);
    SOAK_KV(connects);
    SOAK_KV(leaves);
    SOAK_KV(leaves_abrupt);
    SOAK_KV(connect_fail);
    SOAK_KV(emits);
    SOAK_KV(acks);
    SOAK_KV(rpc_sent);
    SOAK_KV(rpc_ok);
    SOAK_KV(delivered);
    SOAK_KV(delivered_relay);
    SOAK_KV(delivered_rpc);
    fprintf(f, "delivered_per_s=%.0f\n", st.delivered / load_s);
    SOAK_KV(required);
    SOAK_KV(unchecked);
    SOAK_KV(sum_n);
    SOAK_KV(sum_got);
    SOAK_KV(pings);
    SOAK_KV(bytes_in);
    SOAK_KV(v_dup);
    SOAK_KV(v_missing);
    SOAK_KV(v_phantom);
    SOAK_KV(v_wrong_channel);
    SOAK_KV(v_order);
    SOAK_KV(v_over);
    SOAK_KV(v_unknown_ack);
    SOAK_KV(v_ack_timeout);
    SOAK_KV(v_bad_ack);
    SOAK_KV(v_closed);
    SOAK_KV(v_protocol);
    SOAK_KV(v_stuck);
    SOAK_KV(v_rpc_error);
    SOAK_KV(v_refused);
    SOAK_KV(v_lost);
    fprintf(f, "violations=%llu\n", (unsigned long long)soak_violations());
#undef SOAK_KV
}

static void soak_on_signal(int sig)
{
    (void)sig;
    soak_stop = 1;
}

static void soak_usage(void)
{
    fputs("usage: soak-client [--host H] [--port P] [--rpc PATH] "
          "[--clients N]\n"
          "  [--channels N] [--duration S] [--emit-rate PER_S] "
          "[--rpc-rate PER_S]\n"
          "  [--ramp CONNECTS_PER_S] [--life-min S] [--life-max S] "
          "[--abrupt FRACTION]\n"
          "  [--addrs N] [--payload BYTES] [--report S] [--ack-timeout S] "
          "[--out FILE]\n",
          stderr);
    exit(2);
}

static void soak_options(int argc, char **argv)
{
    static const struct option longs[] = {
        {"host", 1, 0, 'H'},      {"port", 1, 0, 'p'},
        {"rpc", 1, 0, 'r'},       {"clients", 1, 0, 'n'},
        {"channels", 1, 0, 'c'},  {"duration", 1, 0, 'd'},
        {"emit-rate", 1, 0, 'e'}, {"rpc-rate", 1, 0, 'b'},
        {"ramp", 1, 0, 'R'},      {"life-min", 1, 0, 'l'},
        {"life-max", 1, 0, 'L'},  {"abrupt", 1, 0, 'a'},
        {"addrs", 1, 0, 'A'},     {"payload", 1, 0, 'P'},
        {"report", 1, 0, 'i'},    {"ack-timeout", 1, 0, 't'},
        {"out", 1, 0, 'o'},       {0, 0, 0, 0}};
    int o;

    while ((o = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (o) {
        case 'H':
            opt.host = optarg;
            break;
        case 'p':
            opt.port = atoi(optarg);
            break;
        case 'r':
            opt.rpc_path = optarg;
            break;
        case 'n':
            opt.clients = atoi(optarg);
            break;
        case 'c':
            opt.channels = atoi(optarg);
            break;
        case 'd':
            opt.duration = atof(optarg);
            break;
        case 'e':
            opt.emit_rate = atof(optarg);
            break;
        case 'b':
            opt.rpc_rate = atof(optarg);
            break;
        case 'R':
            opt.ramp = atof(optarg);
            break;
        case 'l':
            opt.life_min = atof(optarg);
            break;
        case 'L':
            opt.life_max = atof(optarg);
            break;
        case 'a':
            opt.abrupt = atof(optarg);
            break;
        case 'A':
            opt.addrs = atoi(optarg);
            break;
        case 'P':
            opt.payload = atoi(optarg);
            break;
        case 'i':
            opt.report = atof(optarg);
            break;
        case 't':
            opt.ack_timeout = atof(optarg);
            break;
        case 'o':
            opt.out_path = optarg;
            break;
        default:
            soak_usage();
        }
    }
    if (opt.clients < 1 || opt.channels < 1 || opt.channels > 65535 ||
        opt.addrs < 1 || opt.addrs > 250 || opt.payload < 0 ||
        opt.payload >= (int)sizeof soak_pad || opt.life_max < opt.life_min)
        soak_usage();
}

int main(int argc, char **argv)
{
    struct epoll_event evs[512];
    int64_t now, last_tick, next_report, load_end, drain_end = 0;
    double emit_tokens = 0, rpc_tokens = 0, ramp_tokens = 0, load_s;
    uint32_t next_slot = 0;
    int i, n, draining = 0;
    FILE *out;

    soak_options(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, soak_on_signal);
    signal(SIGTERM, soak_on_signal);
    memset(soak_pad, 'x', (size_t)opt.payload);
    soak_rng ^= (uint64_t)getpid() << 32 | (uint64_t)time(NULL);
    soak_cl = calloc((size_t)opt.clients, sizeof *soak_cl);
    soak_ch = calloc((size_t)opt.channels, sizeof *soak_ch);
    soak_rpc_reqs = calloc(SOAK_RPC_REQS, sizeof *soak_rpc_reqs);
    if (soak_cl == NULL || soak_ch == NULL || soak_rpc_reqs == NULL)
        return 2;
    for (i = 0; i < opt.clients; i++)
        soak_cl[i].fd = -1;
    for (i = 0; i < opt.channels; i++) {
        soak_ch[i].s[0].ring = calloc(SOAK_RING, sizeof(struct soak_msg));
        soak_ch[i].s[1].ring = calloc(SOAK_RING, sizeof(struct soak_msg));
        if (!soak_ch[i].s[0].ring || !soak_ch[i].s[1].ring)
            return 2;
        /* seq 0 would match a zeroed record; start every stream at 1 */
        soak_ch[i].s[0].next = soak_ch[i].s[1].next = 1;
    }
    soak_ep = epoll_create1(EPOLL_CLOEXEC);
    if (soak_rpc_connect() != 0)
        return 2;
    now = last_tick = soak_start_ms = soak_now_ms();
    next_report = now + (int64_t)(opt.report * 1000);
    load_end = now + (int64_t)(opt.duration * 1000);

    for (;;) {
        n = epoll_wait(soak_ep, evs, 512, 5);
        for (i = 0; i < n; i++) {
            uint32_t slot = evs[i].data.u32;
            if (slot == SOAK_RPC_SLOT) {
                if (soak_rpc_fd < 0)
                    continue;
                if (evs[i].events & EPOLLOUT)
                    soak_flush(slot, soak_rpc_fd, &soak_rpc_out,
                               &soak_rpc_outlen);
                if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                    soak_rpc_readable();
                continue;
            }
            struct soak_client *c = &soak_cl[slot];
            if (c->state == SOAK_FREE)
                continue;
            if (c->state == SOAK_CONNECTING) {
                soak_connected(slot);
                continue;
            }
            if (evs[i].events & EPOLLOUT && c->outlen)
                soak_flush(slot, c->fd, &c->out, &c->outlen);
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                soak_readable(slot);
        }
        now = soak_now_ms();
        if (now - last_tick < 10)
            continue;
        double dt = (now - last_tick) / 1000.0;
        last_tick = now;
        if (!draining && (now >= load_end || soak_stop)) {
            draining = 1;
            load_end = now;
            drain_end = now + (int64_t)(opt.ack_timeout * 1000) + 5000;
        }
        if (!draining) {
            /* Keep the slots filled, at most --ramp new connections/s. */
            ramp_tokens += opt.ramp * dt;
            if (ramp_tokens > opt.ramp)
                ramp_tokens = opt.ramp;
            for (uint32_t tries = 0;
                 ramp_tokens >= 1 && tries < (uint32_t)opt.clients; tries++) {
                uint32_t s = next_slot++ % (uint32_t)opt.clients;
                if (soak_cl[s].state == SOAK_FREE) {
                    soak_start(s);
                    ramp_tokens -= 1;
                }
            }
            emit_tokens += opt.emit_rate * dt;
            for (int tries = 0; emit_tokens >= 1 && tries < 1000; tries++) {
                uint32_t s = (uint32_t)(soak_rand() % (uint64_t)opt.clients);
                if (soak_cl[s].state == SOAK_READY) {
                    soak_emit(s);
                    emit_tokens -= 1;
                }
            }
            if (emit_tokens > opt.emit_rate)
                emit_tokens = opt.emit_rate;
            rpc_tokens += opt.rpc_rate * dt;
            while (rpc_tokens >= 1 && soak_rpc_fd >= 0) {
                soak_rpc_emit();
                rpc_tokens -= 1;
            }
        }
        soak_scan(now, draining);
        if (now >= next_report) {
            soak_progress(stdout, now);
            next_report += (int64_t)(opt.report * 1000);
        }
        if (draining) {
            int busy = soak_rpc_inflight > 0;
            for (i = 0; i < opt.clients && !busy; i++)
                busy = soak_cl[i].state != SOAK_FREE;
            if (!busy || now > drain_end)
                break;
        }
    }
    if (soak_rpc_inflight)
        soak_violation(&st.v_rpc_error, "%u rpc requests unanswered",
                       soak_rpc_inflight);
    for (i = 0; i < opt.clients; i++) {
        if (soak_cl[i].state != SOAK_FREE) {
            soak_violation(&st.v_stuck,
                           "client %u still in state %d at the "
                           "end",
                           soak_cl[i].gen, soak_cl[i].state);
            soak_close((uint32_t)i);
        }
    }
    for (i = 0; i < opt.channels; i++) {
        for (int s = 0; s < 2; s++) {
            uint32_t first = soak_ch[i].s[s].next > SOAK_RING
                                 ? soak_ch[i].s[s].next - SOAK_RING
                                 : 1;
            for (uint32_t q = first; q < soak_ch[i].s[s].next; q++) {
                struct soak_msg *m = soak_msg_get((uint16_t)i, s, q);
                if (m != NULL)
                    soak_msg_retire(m);
            }
        }
    }
    /* Without abrupt leaves every client reads until its unsubscribe ack,
     * so each delivery the daemon counted must have been received. */
    if (opt.abrupt == 0 && st.sum_got != st.sum_n)
        soak_violation(&st.v_lost, "%llu deliveries counted, %llu received",
                       (unsigned long long)st.sum_n,
                       (unsigned long long)st.sum_got);
    load_s = (load_end - soak_start_ms) / 1000.0;
    soak_progress(stdout, soak_now_ms());
    soak_results(stdout, load_s);
    if (opt.out_path && (out = fopen(opt.out_path, "w")) != NULL) {
        soak_results(out, load_s);
        fclose(out);
    }
    return soak_violations() ? 1 : 0;
}
