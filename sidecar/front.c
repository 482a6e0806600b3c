/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* front: one byte-stream connection from a web server to a responder front. */
#include "front.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static struct event_base *front_base;
static size_t front_max_in, front_max_out;
static uint32_t front_next_id;
struct front_stats front_stats;

/* Draining connections whose web server does not take the rest of their
 * output: one deadline list, no timer per connection. */
static struct timerq front_drain_q;
static uint32_t front_drain_ms;

static void front_event_cb(evutil_socket_t fd, short what, void *arg);

/* A closed connection goes at the end of the turn, after every caller that
 * might still hold it has returned. */
static void front_free(struct turn_node *n)
{
    struct front_conn *fc = TURN_OF(n, struct front_conn, dead);

    buf_free(&fc->in);
    buf_free(&fc->out);
    free(fc->data);
    free(fc);
}

static void front_drain_expired(struct timerq_node *node, void *arg)
{
    struct front_conn *fc =
        (struct front_conn *)((char *)node -
                              offsetof(struct front_conn, drain_timer));

    (void)arg;
    if (fc->closed)
        return;
    front_stats.drain_timeouts++;
    log_info("front %u: %zu bytes still unread by the peer after %u ms of "
             "closing, closing now",
             fc->id, fc->out.len - fc->out_off, front_drain_ms);
    front_close(fc);
}

void front_setup(struct event_base *base, size_t max_input, size_t max_output,
                 uint32_t drain_timeout_ms)
{
    front_base = base;
    front_max_in = max_input;
    front_max_out = max_output;
    front_drain_ms = drain_timeout_ms;
    if (drain_timeout_ms)
        timerq_init(&front_drain_q, base, drain_timeout_ms, front_drain_expired,
                    NULL);
}

static void front_arm(struct front_conn *fc, short want)
{
    if (fc->armed == want)
        return;
    if (fc->armed)
        event_del(&fc->ev);
    event_assign(&fc->ev, front_base, fc->fd, want | EV_PERSIST, front_event_cb,
                 fc);
    if (want)
        event_add(&fc->ev, NULL);
    fc->armed = (uint8_t)want;
}

struct front_conn *front_new(int fd, front_input_cb input, void *data)
{
    struct front_conn *fc = calloc(1, sizeof *fc);
    int fl = fcntl(fd, F_GETFL);

    if (fc == NULL) {
        close(fd);
        free(data);
        return NULL;
    }
    if (fl >= 0 && !(fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    fc->fd = fd;
    fc->id = ++front_next_id;
    fc->input = input;
    fc->data = data;
    front_arm(fc, EV_READ);
    return fc;
}

void front_close(struct front_conn *fc)
{
    if (fc->closed)
        return;
    fc->closed = 1;
    timerq_remove(&fc->drain_timer);
    if (fc->open != NULL)
        (*fc->open)--;
    event_del(&fc->ev);
    fc->armed = 0;
    close(fc->fd);
    fc->fd = -1;
    turn_defer(&fc->dead, front_free);
}

/* Writes what is queued. Returns 0, or -1 on a fatal error. */
static int front_flush(struct front_conn *fc)
{
    ssize_t w;

    while (fc->out_off < fc->out.len) {
        w = write(fc->fd, fc->out.data + fc->out_off,
                  fc->out.len - fc->out_off);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            return -1;
        }
        fc->out_off += (size_t)w;
    }
    if (fc->out_off == fc->out.len) {
        buf_free(&fc->out); /* idle connections hold no buffers */
        fc->out_off = 0;
    }
    return 0;
}

static void front_after_flush(struct front_conn *fc)
{
    if (fc->out.len > 0) {
        front_arm(fc, fc->draining ? EV_WRITE : EV_READ | EV_WRITE);
        return;
    }
    if (fc->draining)
        front_close(fc);
    else
        front_arm(fc, EV_READ);
}

int front_write(struct front_conn *fc, const void *data, size_t len)
{
    ssize_t w = 0;

    if (fc->closed || fc->draining)
        return -1;
    if (fc->out.len == 0) {
        w = write(fc->fd, data, len);
        if (w == (ssize_t)len)
            return 0;
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return -1;
            w = 0;
        }
    }
    if (fc->out.len - fc->out_off + (len - (size_t)w) > front_max_out) {
        log_info("front %u: output queue over %zu bytes, closing", fc->id,
                 front_max_out);
        return -1;
    }
    if (fc->out_off > 0 && fc->out_off == fc->out.len)
        fc->out.len = fc->out_off = 0;
    if (buf_append(&fc->out, (const char *)data + w, len - (size_t)w) != 0)
        return -1;
    front_arm(fc, EV_READ | EV_WRITE);
    return 0;
}

void front_consume(struct front_conn *fc, size_t n)
{
    if (n >= fc->in.len) {
        buf_free(&fc->in);
        return;
    }
    memmove(fc->in.data, fc->in.data + n, fc->in.len - n);
    fc->in.len -= n;
}

void front_drain(struct front_conn *fc)
{
    if (fc->closed)
        return;
    if (!fc->draining && front_drain_ms)
        timerq_add(&front_drain_q, &fc->drain_timer);
    fc->draining = 1;
    if (front_flush(fc) != 0) {
        front_close(fc);
        return;
    }
    front_after_flush(fc);
}

static void front_read(struct front_conn *fc)
{
    char rbuf[65536];
    ssize_t n = read(fc->fd, rbuf, sizeof rbuf);

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        log_debug("front %u: %s", fc->id,
                  n == 0 ? "peer closed" : strerror(errno));
        fc->input(fc, 1);
        return;
    }
    if (fc->draining)
        return; /* discard input while draining */
    if (fc->in.len + (size_t)n > front_max_in ||
        buf_append(&fc->in, rbuf, (size_t)n) != 0) {
        log_info("front %u: input over %zu bytes, closing", fc->id,
                 front_max_in);
        fc->input(fc, 1);
        return;
    }
    fc->input(fc, 0);
}

static void front_event_cb(evutil_socket_t fd, short what, void *arg)
{
    struct front_conn *fc = arg;

    (void)fd;
    if (what & EV_WRITE) {
        if (front_flush(fc) != 0) {
            fc->input(fc, 1);
            return;
        }
        front_after_flush(fc);
        if (fc->closed)
            return;
    }
    if ((what & EV_READ) && !fc->closed)
        front_read(fc);
}
