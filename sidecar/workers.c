/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* workers: --workers N: the supervisor that binds the shared sockets and
 * forks, restarts and stops the workers, and what a worker inherits. */
#include "workers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "route.h"
#include "rpc.h"

/* The send buffer asked for on each worker's hand-off pair. A broadcast to
 * N polling clients answers N held GETs at once and their next polls,
 * on new connections, land half on the wrong worker together: with the
 * default buffer (212,992 bytes, about 170 poll records) a busy owner
 * made the sender refuse ~2 % of them (bench/run.sh's workers phase,
 * 2,000 clients). The kernel caps it at net.core.wmem_max (and doubles
 * it); it costs memory only while records wait. */
#define WORKERS_HANDOFF_SNDBUF (4 * 1024 * 1024)

/* A worker that dies within this long of its start died "at once": each
 * such death in a row doubles the wait before the next start, from
 * WORKERS_BACKOFF_MIN_MS up to WORKERS_BACKOFF_MAX_MS, so a crash loop does
 * not spin. */
#define WORKERS_QUICK_MS 2000
#define WORKERS_BACKOFF_MIN_MS 100
#define WORKERS_BACKOFF_MAX_MS 5000

struct workers_worker {
    pid_t pid;                   /* 0: not running */
    int lfd[CONFIG_MAX_LISTEN];  /* --listen i's socket */
    int ffd[CONFIG_MAX_LISTEN];  /* --fcgi i's */
    int sfd[CONFIG_MAX_LISTEN];  /* --scgi i's */
    int pair[2];                 /* hand-off: [0] others send, [1] it reads */
    char tag[ROUTE_MAX_TAG + 1]; /* its route tag */
    uint64_t started_ms;         /* when it was last forked */
    uint64_t restart_ms;         /* when to start it again; 0: not due */
    unsigned quick;              /* deaths at once in a row */
    int ready;                   /* said so since its last start */
};

/* Index 1..N; the supervisor's table, which a worker inherits. */
static struct workers_worker workers_all[WORKERS_MAX + 1];
static int workers_n;
static int workers_me;
static int workers_rpc = -1;
static int workers_ready_fd[2] = {-1, -1};
static int workers_signal_fd = -1;
static pid_t workers_supervisor;
static const struct config *workers_cfg;
static sigset_t workers_old_mask;

static uint64_t workers_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int workers_self(void) { return workers_me; }

int workers_count(void) { return workers_n; }

/* 16 random letters and digits, made before the first fork. */
static char workers_svc[17];

const char *workers_service(void) { return workers_svc; }

static void workers_new_service(void)
{
    if (route_random_name(workers_svc, sizeof workers_svc - 1) != 0)
        fatal("--workers: no random bytes for the service id");
}

int workers_by_tag(const char *tag, size_t len)
{
    int w;

    for (w = 1; w <= workers_n; w++)
        if (strlen(workers_all[w].tag) == len &&
            memcmp(workers_all[w].tag, tag, len) == 0)
            return w;
    return 0;
}

int workers_peer_fd(int w)
{
    if (workers_me == 0 || w < 1 || w > workers_n || w == workers_me)
        return -1;
    return workers_all[w].pair[0];
}

int workers_inbox_fd(void)
{
    return workers_me ? workers_all[workers_me].pair[1] : -1;
}

int workers_listen_fd(int kind, int i)
{
    struct workers_worker *wk = &workers_all[workers_me];

    if (workers_me == 0 || i < 0 || i >= CONFIG_MAX_LISTEN)
        return -1;
    return kind == 'l' ? wk->lfd[i] : kind == 'f' ? wk->ffd[i] : wk->sfd[i];
}

int workers_rpc_fd(void) { return workers_me ? workers_rpc : -1; }

int workers_expand(const char *addr, int w, char *out, size_t cap)
{
    size_t n = 0;
    int k;

    for (; *addr; addr++) {
        if (addr[0] == '%' && addr[1] == 'i') {
            k = snprintf(out + n, cap - n, "%d", w);
            if (k < 0 || (size_t)k >= cap - n)
                return -1;
            n += (size_t)k;
            addr++;
            continue;
        }
        if (n + 1 >= cap)
            return -1;
        out[n++] = *addr;
    }
    if (n >= cap)
        return -1;
    out[n] = '\0';
    return 0;
}

int workers_per_worker(const char *addr)
{
    return addr != NULL && strstr(addr, "%i") != NULL;
}

void workers_ready(void)
{
    unsigned char w = (unsigned char)workers_me;

    if (workers_me == 0)
        return;
    while (write(workers_ready_fd[1], &w, 1) < 0 && errno == EINTR)
        ;
}

/* ---- the supervisor's start-up ---- */

/* Refuses what cannot work with N workers. */
static void workers_check(const struct config *cfg)
{
    char tag[16];
    const char *cause;
    int i;

    if (cfg->workers > WORKERS_MAX)
        fatal("--workers: at most %d", WORKERS_MAX);
    if (cfg->workers >= 2 && cfg->redis == NULL)
        fatal("--workers %u needs --redis: the workers reach each other's "
              "clients (sessions, broadcasts, joins) only through the Redis "
              "fleet",
              cfg->workers);
    snprintf(tag, sizeof tag, "%s%u", cfg->route ? cfg->route : "w",
             cfg->workers);
    if (route_set(cfg->route, &cause) != 0)
        fatal("--route %s: %s", cfg->route, cause);
    if (strlen(tag) > ROUTE_MAX_TAG)
        fatal("--route %s with --workers %u: worker %u's tag %s is longer "
              "than %d characters",
              cfg->route, cfg->workers, cfg->workers, tag, ROUTE_MAX_TAG);
    for (i = 0; i < cfg->nfcgi; i++)
        if (!workers_per_worker(cfg->fcgi[i]))
            fatal("--fcgi %s with --workers: give one socket per worker "
                  "with %%i (e.g. unix:/run/socketiod/fcgi.%%i): FastCGI "
                  "multiplexes requests, a connection cannot be handed to "
                  "the worker that owns a session",
                  cfg->fcgi[i]);
    for (i = 0; i < cfg->nscgi; i++)
        if (!workers_per_worker(cfg->scgi[i]))
            fatal("--scgi %s with --workers: give one socket per worker "
                  "with %%i (e.g. 127.0.0.1:900%%i), for the web server to "
                  "route each session to its worker",
                  cfg->scgi[i]);
    if (cfg->workers >= 2 && cfg->admin != NULL &&
        !workers_per_worker(cfg->admin))
        fatal("--admin %s with --workers: give one address per worker with "
              "%%i (each worker serves its own /metrics)",
              cfg->admin);
    if (cfg->workers >= 2 && cfg->state_file != NULL &&
        !workers_per_worker(cfg->state_file))
        fatal("--state-file %s with --workers: give one file per worker with "
              "%%i (each keeps its own sessions across a restart)",
              cfg->state_file);
}

static int *workers_slot(int w, int kind, int i)
{
    struct workers_worker *wk = &workers_all[w];

    return kind == 'l' ? &wk->lfd[i] : kind == 'f' ? &wk->ffd[i] : &wk->sfd[i];
}

/* SO_REUSEPORT would let a second daemon of the same user bind a port
 * this one uses, and take a share of its connections: the port is first
 * bound alone, as a single process binds it, so that a port in use is
 * refused. `addr` becomes the address bound (port 0 resolved). */
static int workers_claim(char *addr, size_t cap, const char **cause)
{
    int fd = listener_bind(addr, 0, cause);

    if (fd < 0)
        return -1;
    listener_fd_name(fd, addr, cap);
    close(fd);
    return 0;
}

/* One listening socket per worker for `addr`: per worker when it has %i;
 * else TCP sockets bound to one address with SO_REUSEPORT (port 0 resolved
 * by the first), or one Unix socket all workers share. */
static void workers_bind(const char *opt, const char *addr, int i, int kind)
{
    char one[300], bound[300];
    const char *cause;
    int w, fd, per = workers_per_worker(addr), unix_sock;

    bound[0] = '\0';
    unix_sock = strncmp(addr, "unix:", 5) == 0;
    for (w = 1; w <= workers_n; w++) {
        int *slot = workers_slot(w, kind, i);
        if (!per && unix_sock && w > 1) {
            *slot = *workers_slot(1, kind, i);
            continue;
        }
        if (workers_expand(per || w == 1 ? addr : bound, w, one, sizeof one) !=
            0)
            fatal("--%s %s: too long", opt, addr);
        if (!unix_sock && (per || w == 1) &&
            workers_claim(one, sizeof one, &cause) != 0)
            fatal("--%s %s: %s", opt, one, cause);
        fd = listener_bind(one, !unix_sock, &cause);
        if (fd < 0)
            fatal("--%s %s: %s", opt, one, cause);
        *slot = fd;
        if (w == 1 || per) {
            listener_fd_name(fd, bound, sizeof bound);
            log_notice("%s on %s%s%d",
                       kind == 'l'   ? "listening"
                       : kind == 'f' ? "FastCGI"
                                     : "SCGI",
                       bound, per ? " for worker " : " for workers 1-",
                       per ? w : workers_n);
        }
    }
}

static void workers_setup(const struct config *cfg)
{
    const char *cause, *path;
    int w, i;

    workers_n = (int)cfg->workers;
    workers_cfg = cfg;
    for (w = 1; w <= workers_n; w++) {
        struct workers_worker *wk = &workers_all[w];
        for (i = 0; i < CONFIG_MAX_LISTEN; i++)
            wk->lfd[i] = wk->ffd[i] = wk->sfd[i] = -1;
        snprintf(wk->tag, sizeof wk->tag, "%s%d", cfg->route ? cfg->route : "w",
                 w);
        /* Non-blocking both ways: a full inbox fails the send at once (the
         * request is answered as an unknown sid), never stalls a loop. */
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       0, wk->pair) != 0)
            fatal("hand-off socket pair: %s", strerror(errno));
        /* Best effort: a smaller buffer only fails more hand-offs. The
         * records are charged to the sending end, pair[0]. */
        int sndbuf = WORKERS_HANDOFF_SNDBUF;
        (void)setsockopt(wk->pair[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
                         sizeof sndbuf);
    }
    /* Listeners before the control socket: a second instance that cannot
     * bind leaves the first one's control socket alone. */
    for (i = 0; i < cfg->nfcgi; i++)
        workers_bind("fcgi", cfg->fcgi[i], i, 'f');
    for (i = 0; i < cfg->nscgi; i++)
        workers_bind("scgi", cfg->scgi[i], i, 's');
    for (i = 0; i < cfg->nlisten; i++)
        workers_bind("listen", cfg->listen[i], i, 'l');
    path = cfg->rpc_path ? cfg->rpc_path : rpc_default_path(0);
    workers_rpc = rpc_bind(path, cfg->rpc_mode, &cause);
    if (workers_rpc < 0)
        fatal("--rpc %s: %s", path, cause);
    log_notice("control socket %s", path);
    if (pipe2(workers_ready_fd, O_CLOEXEC) != 0)
        fatal("pipe: %s", strerror(errno));
}

/* In a new worker: drops what belongs to the supervisor and the other
 * workers, and becomes worker `w`. */
static void workers_become(int w)
{
    struct workers_worker *me = &workers_all[w];
    const char *cause;
    int v, i;

    workers_me = w;
    /* The supervisor's death (SIGKILL) drains the workers, not orphans
     * them. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != workers_supervisor)
        _exit(0); /* it died before prctl */
    close(workers_signal_fd);
    workers_signal_fd = -1;
    close(workers_ready_fd[0]);
    workers_ready_fd[0] = -1;
    sigprocmask(SIG_SETMASK, &workers_old_mask, NULL);
    for (v = 1; v <= workers_n; v++) {
        struct workers_worker *o = &workers_all[v];
        if (v == w) {
            close(o->pair[0]);
            o->pair[0] = -1;
            continue;
        }
        close(o->pair[1]);
        o->pair[1] = -1;
        for (i = 0; i < CONFIG_MAX_LISTEN; i++) {
            if (o->lfd[i] >= 0 && o->lfd[i] != me->lfd[i])
                close(o->lfd[i]);
            if (o->ffd[i] >= 0 && o->ffd[i] != me->ffd[i])
                close(o->ffd[i]);
            if (o->sfd[i] >= 0 && o->sfd[i] != me->sfd[i])
                close(o->sfd[i]);
        }
    }
    /* Readiness is the supervisor's to tell, once for all. */
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    log_set_worker(me->tag);
    if (route_set(me->tag, &cause) != 0)
        fatal("route %s: %s", me->tag, cause);
}

/* Forks worker `w`. Returns 1 in the new worker, 0 in the supervisor. */
static int workers_spawn(int w)
{
    struct workers_worker *wk = &workers_all[w];
    pid_t pid;

    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        log_warn("worker %s: fork: %s; trying again in a second", wk->tag,
                 strerror(errno));
        wk->restart_ms = workers_now_ms() + 1000;
        return 0;
    }
    if (pid == 0) {
        workers_become(w);
        return 1;
    }
    wk->pid = pid;
    wk->ready = 0;
    wk->restart_ms = 0;
    wk->started_ms = workers_now_ms();
    log_notice("worker %s started (pid %ld)", wk->tag, (long)pid);
    return 0;
}

/* ---- the supervisor's watch ---- */

static int workers_stopping;
static int workers_all_ready; /* every worker said ready once: systemd told */
static int workers_failed;    /* exit status */

static void workers_signal_all(int sig)
{
    int w;

    for (w = 1; w <= workers_n; w++)
        if (workers_all[w].pid > 0)
            kill(workers_all[w].pid, sig);
}

static int workers_running(void)
{
    int w, n = 0;

    for (w = 1; w <= workers_n; w++)
        n += workers_all[w].pid > 0;
    return n;
}

static void workers_close_slot(int w, int kind, int i)
{
    int *slot = workers_slot(w, kind, i);

    if (*slot >= 0 && (w == 1 || *slot != *workers_slot(1, kind, i)))
        close(*slot);
    *slot = -1;
}

/* Stops restarting: the public sockets and the control socket close with
 * the last worker's copy, so that nothing waits on a socket no one will
 * accept from. */
/* `forward`: 0 when the workers were sent `sig` with the supervisor (a
 * terminal's Ctrl-C reaches its whole process group): passed on too, it would
 * be their second signal, which cuts their drain short. */
static void workers_stop(int sig, int forward)
{
    int w, i;

    if (!workers_stopping) {
        log_info("signal %d: stopping %d workers", sig, workers_running());
        notify_send("STOPPING=1\nSTATUS=draining the workers");
        /* From the last worker down: a Unix socket all share is worker 1's
         * too, closed once, with it. */
        for (w = workers_n; w >= 1; w--) {
            workers_all[w].restart_ms = 0;
            for (i = 0; i < CONFIG_MAX_LISTEN; i++) {
                workers_close_slot(w, 'l', i);
                workers_close_slot(w, 'f', i);
                workers_close_slot(w, 's', i);
            }
        }
        if (workers_rpc >= 0)
            close(workers_rpc);
        workers_rpc = -1;
    }
    workers_stopping = 1;
    if (forward)
        workers_signal_all(sig);
}

static void workers_exited(pid_t pid, int status)
{
    struct workers_worker *wk = NULL;
    uint64_t now = workers_now_ms(), wait;
    int w;

    for (w = 1; w <= workers_n; w++)
        if (workers_all[w].pid == pid)
            wk = &workers_all[w];
    if (wk == NULL)
        return;
    wk->pid = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && workers_stopping) {
        log_info("worker %s: stopped", wk->tag);
        return;
    }
    if (WIFSIGNALED(status))
        log_warn("worker %s (pid %ld): killed by signal %d", wk->tag, (long)pid,
                 WTERMSIG(status));
    else
        log_warn("worker %s (pid %ld): exited with status %d", wk->tag,
                 (long)pid, WEXITSTATUS(status));
    if (workers_stopping) {
        workers_failed = 1;
        return;
    }
    if (!workers_all_ready) {
        /* A worker that cannot start (a port taken, Redis refused) will
         * not start the next time either: the service fails as a whole. */
        log_warn("worker %s failed while starting: stopping the others",
                 wk->tag);
        workers_failed = 1;
        workers_stop(SIGTERM, 1);
        return;
    }
    wk->quick = now - wk->started_ms < WORKERS_QUICK_MS ? wk->quick + 1 : 0;
    wait = 0;
    if (wk->quick > 0) {
        wait = (uint64_t)WORKERS_BACKOFF_MIN_MS
               << (wk->quick < 7 ? wk->quick - 1 : 6);
        if (wait > WORKERS_BACKOFF_MAX_MS)
            wait = WORKERS_BACKOFF_MAX_MS;
    }
    if (wait > 0)
        log_warn("worker %s died %u times in a row right after starting: "
                 "starting it again in %llu ms",
                 wk->tag, wk->quick, (unsigned long long)wait);
    wk->restart_ms = now + wait;
    if (wk->restart_ms == 0)
        wk->restart_ms = 1;
}

static void workers_read_ready(void)
{
    unsigned char b[64];
    ssize_t n, i;
    int w, all = 1;
    char status[64];

    n = read(workers_ready_fd[0], b, sizeof b);
    for (i = 0; i < n; i++) {
        w = b[i];
        if (w < 1 || w > workers_n)
            continue;
        workers_all[w].ready = 1;
        if (workers_all_ready)
            log_notice("worker %s restarted and ready", workers_all[w].tag);
    }
    for (w = 1; w <= workers_n; w++)
        all = all && workers_all[w].ready;
    if (all && !workers_all_ready && !workers_stopping) {
        workers_all_ready = 1;
        log_notice("%d worker%s ready", workers_n, workers_n > 1 ? "s" : "");
        snprintf(status, sizeof status, "READY=1\nSTATUS=%d workers",
                 workers_n);
        notify_send(status);
    }
}

/* Waits for signals, dead children, readiness and due restarts until every
 * worker has stopped. Returns 1 in a worker forked here, 0 at the end. */
static int workers_watch(void)
{
    struct signalfd_siginfo si;
    struct pollfd pfd[2];
    unsigned dog = notify_watchdog_ms();
    uint64_t now, next, dog_at = workers_now_ms() + dog;
    int w, timeout, status;
    pid_t pid;

    for (;;) {
        if (workers_stopping && workers_running() == 0)
            return 0;
        now = workers_now_ms();
        next = 0;
        for (w = 1; w <= workers_n; w++) {
            struct workers_worker *wk = &workers_all[w];
            if (wk->restart_ms == 0 || workers_stopping)
                continue;
            if (wk->restart_ms <= now) {
                log_notice("worker %s: starting again", wk->tag);
                if (workers_spawn(w))
                    return 1;
            } else if (next == 0 || wk->restart_ms < next) {
                next = wk->restart_ms;
            }
        }
        if (dog > 0 && dog_at <= now) {
            notify_send("WATCHDOG=1");
            dog_at = now + dog;
        }
        if (dog > 0 && (next == 0 || dog_at < next))
            next = dog_at;
        timeout = next ? (int)(next - now) : -1;
        pfd[0].fd = workers_signal_fd;
        pfd[0].events = POLLIN;
        pfd[1].fd = workers_ready_fd[0];
        pfd[1].events = POLLIN;
        if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
            fatal("poll: %s", strerror(errno));
        if (pfd[1].revents & POLLIN)
            workers_read_ready();
        if (!(pfd[0].revents & POLLIN))
            continue;
        if (read(workers_signal_fd, &si, sizeof si) != (ssize_t)sizeof si)
            continue;
        switch (si.ssi_signo) {
        case SIGCHLD:
            while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                workers_exited(pid, status);
            break;
        case SIGHUP:
            log_info("SIGHUP: passed to every worker");
            workers_signal_all(SIGHUP);
            break;
        default:
            /* The kernel's own signals (SI_KERNEL) are a terminal's, sent to
             * the process group; kill(2)'s are SI_USER. */
            workers_stop((int)si.ssi_signo, si.ssi_code != SI_KERNEL);
        }
    }
}

/* The supervisor's end: nothing of it outlives it. */
static void workers_close_all(void)
{
    const char *path =
        workers_cfg->rpc_path ? workers_cfg->rpc_path : rpc_default_path(0);
    int w;

    unlink(path);
    for (w = 1; w <= workers_n; w++) {
        close(workers_all[w].pair[0]);
        close(workers_all[w].pair[1]);
    }
    close(workers_signal_fd);
    close(workers_ready_fd[0]);
    close(workers_ready_fd[1]);
}

int workers_run(const struct config *cfg, int *exit_code)
{
    sigset_t mask;
    int w;

    workers_check(cfg);
    workers_setup(cfg);
    workers_new_service();
    /* Signals are read from a descriptor between polls, never by a
     * handler; the workers get the old mask back. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &mask, &workers_old_mask) != 0 ||
        (workers_signal_fd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
        fatal("signalfd: %s", strerror(errno));
    workers_supervisor = getpid();
    log_notice("supervisor (pid %ld): %d workers", (long)workers_supervisor,
               workers_n);
    for (w = 1; w <= workers_n; w++)
        if (workers_spawn(w))
            return 1;
    if (workers_watch())
        return 1;
    workers_close_all();
    log_info("supervisor: every worker stopped");
    *exit_code = workers_failed ? 1 : 0;
    return 0;
}
