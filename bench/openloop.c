/*
 * openloop: an open-loop HTTP/1.1 load generator for bench/run.py's "at 80 % of peak" scenario
 * (Debian packages wrk, a closed-loop generator, but not wrk2). bench/run.py compiles it with
 * the system C compiler at bench time: cc -O2 -o openloop bench/openloop.c
 *
 *   openloop --url http://127.0.0.1:8080/v1/invoices --rate 1600 --duration 20 --connections 32
 *            [--timeout 10] [-X POST] [-H 'Name: value']... [--body TEXT]
 *
 * Every "{n}" in the headers and the body is replaced by a token unique to the request (a run
 * prefix and the request's number), so that each request carries its own Idempotency-Key.
 *
 * How it avoids coordinated omission: request i is due at t0 + i / rate, a schedule fixed
 * before the run and independent of how fast the server answers, and each request's latency
 * is measured from the time it was due, not from the time it could be sent. A closed-loop
 * generator (wrk, or wrk pacing each connection with a delay) sends a connection's next
 * request only after the previous reply: while the server is slow it offers less load, and
 * the requests that would have queued in the meantime are never sent, so never measured. (wrk
 * patches its histogram after the run with synthetic samples spaced by the run's mean
 * per-connection interval; that only estimates what a fixed schedule measures, and only for
 * replies slower than that interval.) Here the due requests are sent as soon as a keep-alive
 * connection is free and the time they waited for it counts, as in wrk2. Every scheduled
 * request gets a latency: its reply's, or, for a request that failed, timed out or was still
 * unsent when the run ended, the time it had waited by then (and it is counted as an error),
 * so failures cannot shorten the tail. Also printed: the latency from the actual send
 * ("service_*", what a closed-loop generator reports) and the lag of each send behind its
 * schedule ("send_lag_*": a lag means every connection was busy, or this process did not get
 * the CPU in time; either way it is counted in the latency, against the server).
 *
 * One thread, epoll, non-blocking keep-alive connections (one request in flight on each, no
 * pipelining), a wait that ends when the next request is due (epoll_pwait2's nanosecond
 * timeout, or a timerfd on older systems; a 1 us timer slack; no busy wait), requests built
 * by copying the template's pieces; about four system calls per request. On the 2-core VM the
 * benchmark runs on, 2,000 requests a second cost it about 0.14 s of CPU a second (14 % of one
 * core, two thirds of it in the kernel: loopback TCP and wake-ups, one for each send and one
 * for each reply); wrk spends about half that at the same rate, since a reply is what wakes it
 * to send. Its own CPU time is printed (cpu_s, cpu_share). The result is one line on
 * standard output:
 *   BENCH {"requests": …, "rps": …, "p50_ms": …, "p99_ms": …, "errors": …, …}
 * where rps counts 2xx replies per second, over the schedule's length or until the last reply.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* epoll_pwait2 (Linux 5.11, glibc 2.35) waits with a nanosecond timeout: no timer to arm and
   read per request. Without it, a timerfd armed for the next due request does the same. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#define HAVE_EPOLL_PWAIT2 1
static int use_pwait2 = 1;
#else
static const int use_pwait2 = 0;
#endif

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "openloop: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die("malloc");
  return p;
}

/* A template: the text between the "{n}" tokens. */
typedef struct {
  const char *piece[64];
  size_t len[64];
  int count;
} tmpl;

static void tmpl_parse(tmpl *t, const char *s) {
  t->count = 0;
  for (;;) {
    const char *hit = strstr(s, "{n}");
    if (t->count == 63) {
      fprintf(stderr, "openloop: too many {n} in a template\n");
      exit(2);
    }
    t->piece[t->count] = s;
    t->len[t->count] = hit ? (size_t)(hit - s) : strlen(s);
    t->count++;
    if (!hit) return;
    s = hit + 3;
  }
}

static size_t tmpl_size(const tmpl *t, size_t token) {
  size_t n = (size_t)(t->count - 1) * token;
  for (int i = 0; i < t->count; i++) n += t->len[i];
  return n;
}

static char *tmpl_put(char *out, const tmpl *t, const char *token, size_t tlen) {
  for (int i = 0; i < t->count; i++) {
    memcpy(out, t->piece[i], t->len[i]);
    out += t->len[i];
    if (i + 1 < t->count) {
      memcpy(out, token, tlen);
      out += tlen;
    }
  }
  return out;
}

enum { DEAD, CONNECTING, IDLE, BUSY };

typedef struct conn {
  int fd, state, writing;
  int64_t request;  /* index of the request in flight */
  int64_t sent;     /* when it was sent */
  int64_t retry_at; /* DEAD: when to connect again */
  char *wbuf;
  size_t wlen, woff, wcap;
  char *rbuf;
  size_t rlen, rcap;
  struct conn *next_idle;
} conn;

/* Options and state. */
static const char *method = "GET", *body = "";
static char host[256], port[16], path[2048];
static const char *headers[64];
static int nheaders;
static double rate = 100, duration = 10, timeout_s = 10;
static int nconns = 32;
static tmpl head_t, body_t;
static char prefix[32];
static struct addrinfo *addr;
static int epfd, tfd;
static conn *conns, *idle;
static int64_t t0, total, next_req, interval_ns;
static uint32_t *lat, *svc, *lag; /* microseconds: per scheduled request, per reply, per send */
static int64_t nlat, nsvc, nlag;
static int64_t replies, ok, status_errors, socket_errors, connect_errors, timeouts, unsent, late_sends;
static int64_t max_backlog, max_in_flight, in_flight, last_reply;

static int64_t due(int64_t i) { return t0 + (int64_t)((double)i * 1e9 / rate); }

static void record(int64_t request, int64_t at) {
  int64_t us = (at - due(request)) / 1000;
  lat[nlat++] = (uint32_t)(us < 0 ? 0 : us > 0xFFFFFFFFLL ? 0xFFFFFFFFLL : us);
}

static void watch(conn *c, int op, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(epfd, op, c->fd, &ev) < 0) die("epoll_ctl");
}

static void push_idle(conn *c) {
  c->state = IDLE;
  c->next_idle = idle;
  idle = c;
}

static void start_connect(conn *c) {
  c->fd = socket(addr->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) die("socket");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->rlen = 0;
  c->writing = 0;
  if (connect(c->fd, addr->ai_addr, addr->ai_addrlen) < 0 && errno != EINPROGRESS) {
    close(c->fd);
    c->fd = -1;
    c->state = DEAD;
    c->retry_at = now_ns() + 10000000LL;
    connect_errors++;
    return;
  }
  c->state = CONNECTING;
  watch(c, EPOLL_CTL_ADD, EPOLLOUT | EPOLLIN);
}

/* Closes the connection; a request in flight on it failed (counted by the caller). */
static void drop(conn *c, int64_t at) {
  if (c->state == IDLE) { /* unlink from the idle stack */
    conn **p = &idle;
    while (*p && *p != c) p = &(*p)->next_idle;
    if (*p) *p = c->next_idle;
  }
  if (c->state == BUSY) in_flight--;
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->state = DEAD;
  c->retry_at = at;
}

static void flush(conn *c) {
  while (c->woff < c->wlen) {
    ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
    if (n > 0) {
      c->woff += (size_t)n;
    } else if (n < 0 && errno == EAGAIN) {
      if (!c->writing) watch(c, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
      c->writing = 1;
      return;
    } else {
      int64_t at = now_ns();
      record(c->request, at);
      socket_errors++;
      drop(c, at);
      return;
    }
  }
  if (c->writing) watch(c, EPOLL_CTL_MOD, EPOLLIN);
  c->writing = 0;
}

static void send_request(conn *c, int64_t i, int64_t at) {
  char token[64];
  int tlen = snprintf(token, sizeof token, "%s%lld", prefix, (long long)i);
  size_t blen = tmpl_size(&body_t, (size_t)tlen);
  size_t need = strlen(method) + strlen(path) + strlen(host) + strlen(port) + tmpl_size(&head_t, (size_t)tlen) +
                blen + 128;
  if (c->wcap < need) {
    free(c->wbuf);
    c->wcap = need * 2;
    c->wbuf = xmalloc(c->wcap);
  }
  char *p = c->wbuf;
  p += sprintf(p, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n", method, path, host, port);
  p = tmpl_put(p, &head_t, token, (size_t)tlen);
  p += sprintf(p, "Content-Length: %zu\r\n\r\n", blen);
  p = tmpl_put(p, &body_t, token, (size_t)tlen);
  c->wlen = (size_t)(p - c->wbuf);
  c->woff = 0;
  c->request = i;
  c->sent = at;
  c->state = BUSY;
  c->rlen = 0;
  if (++in_flight > max_in_flight) max_in_flight = in_flight;
  int64_t late = (at - due(i)) / 1000;
  lag[nlag++] = (uint32_t)(late < 0 ? 0 : late > 0xFFFFFFFFLL ? 0xFFFFFFFFLL : late);
  if (late > 1000) late_sends++;
  flush(c);
}

/* Sends every request that is due, on the idle connections; arms the timer for the next. */
static void dispatch(void) {
  int64_t at = now_ns();
  while (next_req < total && due(next_req) <= at && idle) {
    conn *c = idle;
    idle = c->next_idle;
    send_request(c, next_req++, at);
  }
  if (next_req < total && due(next_req) <= at) {
    int64_t due_by_now = (at - t0) / interval_ns + 1;
    int64_t backlog = (due_by_now < total ? due_by_now : total) - next_req;
    if (backlog > max_backlog) max_backlog = backlog;
  }
  if (!use_pwait2 && next_req < total && idle) {
    int64_t d = due(next_req);
    struct itimerspec it = {.it_value = {.tv_sec = d / 1000000000LL, .tv_nsec = d % 1000000000LL}};
    if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &it, NULL) < 0) die("timerfd_settime");
  }
}

/* A complete response's length, 0 if incomplete, -1 if malformed, -2 if it ends at close. */
static long parse(const char *b, size_t n, int *status, int *closes) {
  const char *end = memmem(b, n, "\r\n\r\n", 4);
  if (!end) return n > 65536 ? -1 : 0;
  size_t hlen = (size_t)(end - b) + 4;
  if (n < 12 || memcmp(b, "HTTP/1.", 7) != 0) return -1;
  *status = atoi(b + 9);
  *closes = b[7] == '0';
  long length = -1;
  int chunked = 0;
  const char *line = memchr(b, '\n', hlen);
  line = line ? line + 1 : b + hlen;
  while (line < b + hlen - 2) {
    const char *eol = memchr(line, '\n', (size_t)(b + hlen - line));
    size_t len = (size_t)(eol - line);
    if (len > 15 && strncasecmp(line, "content-length:", 15) == 0) {
      length = strtol(line + 15, NULL, 10);
    } else if (len > 18 && strncasecmp(line, "transfer-encoding:", 18) == 0) {
      chunked = memmem(line, len, "chunked", 7) != NULL;
    } else if (len > 11 && strncasecmp(line, "connection:", 11) == 0) {
      if (memmem(line, len, "close", 5) || memmem(line, len, "Close", 5)) *closes = 1;
      else if (memmem(line, len, "eep-alive", 9)) *closes = 0;
    }
    line = eol + 1;
  }
  if (*status < 200 || *status == 204 || *status == 304) return (long)hlen;
  if (chunked) {
    size_t p = hlen;
    for (;;) {
      const char *crlf = memmem(b + p, n - p, "\r\n", 2);
      if (!crlf) return 0;
      long size = strtol(b + p, NULL, 16);
      p = (size_t)(crlf - b) + 2;
      if (size < 0) return -1;
      if (size == 0) {
        for (;;) { /* trailers, then the empty line */
          const char *eol = memmem(b + p, n - p, "\r\n", 2);
          if (!eol) return 0;
          size_t len = (size_t)(eol - (b + p));
          p = (size_t)(eol - b) + 2;
          if (len == 0) return (long)p;
        }
      }
      if (n < p + (size_t)size + 2) return 0;
      p += (size_t)size + 2;
    }
  }
  if (length >= 0) return n >= hlen + (size_t)length ? (long)(hlen + (size_t)length) : 0;
  return -2;
}

static void complete(conn *c, int status, int closes, int64_t at) {
  record(c->request, at);
  int64_t us = (at - c->sent) / 1000;
  svc[nsvc++] = (uint32_t)(us > 0xFFFFFFFFLL ? 0xFFFFFFFFLL : us);
  replies++;
  last_reply = at;
  if (status >= 200 && status < 300) ok++;
  else status_errors++;
  in_flight--;
  c->rlen = 0;
  if (closes) { /* the server closes after this reply: connect again */
    close(c->fd);
    c->fd = -1;
    c->state = DEAD;
    c->retry_at = at;
  } else {
    push_idle(c);
  }
}

static void readable(conn *c) {
  for (;;) {
    if (c->rcap - c->rlen < 4096) {
      c->rcap = c->rcap ? c->rcap * 2 : 16384;
      c->rbuf = realloc(c->rbuf, c->rcap + 1);
      if (!c->rbuf) die("realloc");
    }
    ssize_t n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
    int64_t at = now_ns();
    if (n > 0) {
      c->rlen += (size_t)n;
      c->rbuf[c->rlen] = 0;
      if (c->state != BUSY) { /* bytes nobody asked for */
        socket_errors++;
        drop(c, at);
        return;
      }
      int status = 0, closes = 0;
      long used = parse(c->rbuf, c->rlen, &status, &closes);
      if (used == -1) {
        record(c->request, at);
        socket_errors++;
        drop(c, at);
        return;
      }
      if (used > 0) {
        complete(c, status, closes, at);
        return;
      }
      continue;
    }
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0 && errno == EINTR) continue;
    /* EOF or error. */
    if (c->state == BUSY) {
      int status = 0, closes = 0;
      if (n == 0 && c->rlen && parse(c->rbuf, c->rlen, &status, &closes) == -2) {
        complete(c, status, 1, at);
        return;
      }
      record(c->request, at);
      socket_errors++;
    }
    drop(c, at); /* an idle keep-alive connection the server closed is no error */
    return;
  }
}

/* Waits for events until the next request is due (if a connection is free to send it), or
   5 ms at most, for the timeouts and reconnections. */
static int wait_events(struct epoll_event *events, int max) {
#ifdef HAVE_EPOLL_PWAIT2
  if (use_pwait2) {
    int64_t at = now_ns(), wake = at + 5000000LL;
    if (next_req < total && idle && due(next_req) < wake) wake = due(next_req);
    int64_t wait = wake > at ? wake - at : 0;
    struct timespec ts = {.tv_sec = wait / 1000000000LL, .tv_nsec = wait % 1000000000LL};
    int n = epoll_pwait2(epfd, events, max, &ts, NULL);
    if (n >= 0 || errno != ENOSYS) return n;
    use_pwait2 = 0; /* an older kernel: the timerfd takes over */
    dispatch();
  }
#endif
  return epoll_wait(epfd, events, max, 5);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static double pct(uint32_t *v, int64_t n, double p) {
  if (n == 0) return 0;
  int64_t i = (int64_t)(p / 100.0 * (double)n + 0.5) - 1;
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return v[i] / 1000.0;
}

static void usage(void) {
  fprintf(stderr, "usage: openloop --url http://HOST:PORT/PATH --rate N --duration S [--connections C] "
                  "[--timeout S] [-X METHOD] [-H 'Name: value']... [--body TEXT]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *url = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) usage();
    if (!strcmp(a, "--url")) url = argv[++i];
    else if (!strcmp(a, "--rate")) rate = atof(argv[++i]);
    else if (!strcmp(a, "--duration")) duration = atof(argv[++i]);
    else if (!strcmp(a, "--connections")) nconns = atoi(argv[++i]);
    else if (!strcmp(a, "--timeout")) timeout_s = atof(argv[++i]);
    else if (!strcmp(a, "-X")) method = argv[++i];
    else if (!strcmp(a, "-H") && nheaders < 64) headers[nheaders++] = argv[++i];
    else if (!strcmp(a, "--body")) body = argv[++i];
    else usage();
  }
  if (!url || rate <= 0 || duration <= 0 || nconns < 1) usage();
  if (sscanf(url, "http://%255[^:/]:%15[0-9]%2047s", host, port, path) < 2) usage();
  if (!path[0]) strcpy(path, "/");

  /* The header block: the given headers, each line ending in CRLF. */
  size_t hsize = 1;
  for (int i = 0; i < nheaders; i++) hsize += strlen(headers[i]) + 2;
  char *hblock = xmalloc(hsize);
  hblock[0] = 0;
  for (int i = 0; i < nheaders; i++) {
    strcat(hblock, headers[i]);
    strcat(hblock, "\r\n");
  }
  tmpl_parse(&head_t, hblock);
  tmpl_parse(&body_t, body);
  snprintf(prefix, sizeof prefix, "ol%lx%x-", (long)time(NULL), (unsigned)getpid());

  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  if (getaddrinfo(host, port, &hints, &addr) != 0) {
    fprintf(stderr, "openloop: cannot resolve %s\n", host);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_TIMERSLACK, 1000UL); /* wake within 1 us of a due time, not the default 50 us */
  total = (int64_t)(rate * duration + 0.5);
  interval_ns = (int64_t)(1e9 / rate);
  if (interval_ns < 1) interval_ns = 1;
  lat = xmalloc(sizeof *lat * (size_t)total);
  svc = xmalloc(sizeof *svc * (size_t)total);
  lag = xmalloc(sizeof *lag * (size_t)total);
  conns = calloc((size_t)nconns, sizeof *conns);
  if (!conns) die("calloc");
  epfd = epoll_create1(EPOLL_CLOEXEC);
  tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (epfd < 0 || tfd < 0) die("epoll/timerfd");
  struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &tev) < 0) die("epoll_ctl timer");

  /* Connect first; the schedule starts once the connections are up (or after 5 s). */
  for (int i = 0; i < nconns; i++) {
    conns[i].fd = -1;
    start_connect(&conns[i]);
  }
  struct epoll_event events[256];
  int64_t connect_deadline = now_ns() + 5000000000LL;
  int up = 0;
  while (up < nconns && now_ns() < connect_deadline) {
    int n = epoll_wait(epfd, events, 256, 100);
    for (int k = 0; k < n; k++) {
      conn *c = events[k].data.ptr;
      if (!c || c->state != CONNECTING) continue;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) {
        connect_errors++;
        drop(c, now_ns() + 10000000LL);
      } else {
        watch(c, EPOLL_CTL_MOD, EPOLLIN);
        push_idle(c);
        up++;
      }
    }
    for (int i = 0; i < nconns; i++)
      if (conns[i].state == DEAD && conns[i].retry_at <= now_ns()) start_connect(&conns[i]);
  }
  if (up == 0) {
    fprintf(stderr, "openloop: could not connect to %s:%s\n", host, port);
    return 1;
  }

  struct rusage ru0;
  getrusage(RUSAGE_SELF, &ru0);
  t0 = now_ns();
  int64_t schedule_end = due(total);
  int64_t deadline = schedule_end + (int64_t)(timeout_s * 1e9);
  int64_t timeout_ns = (int64_t)(timeout_s * 1e9);
  int64_t last_check = 0;
  dispatch();
  for (;;) {
    int n = wait_events(events, 256);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int k = 0; k < n; k++) {
      conn *c = events[k].data.ptr;
      if (!c) {
        uint64_t expirations;
        if (read(tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) die("read timerfd");
        continue;
      }
      if (c->fd < 0) continue;
      if (c->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
          connect_errors++;
          drop(c, now_ns() + 10000000LL);
        } else {
          watch(c, EPOLL_CTL_MOD, EPOLLIN);
          push_idle(c);
        }
        continue;
      }
      if ((events[k].events & EPOLLOUT) && c->state == BUSY && c->writing) flush(c);
      if (c->fd >= 0 && (events[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) readable(c);
    }
    int64_t at = now_ns();
    if (at - last_check > 5000000LL) { /* every 5 ms: timeouts and reconnections */
      last_check = at;
      for (int i = 0; i < nconns; i++) {
        conn *c = &conns[i];
        if (c->state == BUSY && at - c->sent > timeout_ns) {
          record(c->request, at);
          timeouts++;
          drop(c, at);
        }
        if (c->state == DEAD && c->retry_at <= at && at < deadline) start_connect(c);
      }
    }
    dispatch();
    if (next_req >= total && in_flight == 0) break;
    if (at >= deadline) {
      for (int i = 0; i < nconns; i++)
        if (conns[i].state == BUSY) {
          record(conns[i].request, at);
          timeouts++;
          drop(&conns[i], at);
        }
      for (; next_req < total; next_req++) {
        record(next_req, at);
        unsent++;
      }
      break;
    }
  }
  int64_t end = now_ns();
  struct rusage ru1;
  getrusage(RUSAGE_SELF, &ru1);
  double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
               (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) /
                   1e6;
  double seconds = (double)((last_reply > schedule_end ? last_reply : schedule_end) - t0) / 1e9;
  qsort(lat, (size_t)nlat, sizeof *lat, cmp_u32);
  qsort(svc, (size_t)nsvc, sizeof *svc, cmp_u32);
  qsort(lag, (size_t)nlag, sizeof *lag, cmp_u32);
  int64_t errors = status_errors + socket_errors + timeouts + unsent;
  printf("BENCH {\"requests\": %lld, \"seconds\": %.3f, \"rps\": %.1f, \"target_rps\": %.1f, \"scheduled\": %lld, "
         "\"ok\": %lld, \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"p999_ms\": %.3f, \"max_ms\": %.3f, "
         "\"service_p50_ms\": %.3f, \"service_p99_ms\": %.3f, \"errors\": %lld, \"status_errors\": %lld, "
         "\"socket_errors\": %lld, \"connect_errors\": %lld, \"timeouts\": %lld, \"unsent\": %lld, "
         "\"send_lag_p50_ms\": %.3f, \"send_lag_p99_ms\": %.3f, \"late_sends\": %lld, \"max_backlog\": %lld, "
         "\"max_in_flight\": %lld, \"connections\": %d, \"cpu_s\": %.3f, \"cpu_share\": %.4f, \"wall_s\": %.3f}\n",
         (long long)replies, seconds, (double)ok / seconds, rate, (long long)total, (long long)ok,
         pct(lat, nlat, 50), pct(lat, nlat, 90), pct(lat, nlat, 99), pct(lat, nlat, 99.9),
         nlat ? lat[nlat - 1] / 1000.0 : 0.0, pct(svc, nsvc, 50), pct(svc, nsvc, 99), (long long)errors,
         (long long)status_errors, (long long)socket_errors, (long long)connect_errors, (long long)timeouts,
         (long long)unsent, pct(lag, nlag, 50), pct(lag, nlag, 99), (long long)late_sends, (long long)max_backlog,
         (long long)max_in_flight, nconns, cpu, cpu / ((double)(end - t0) / 1e9), (double)(end - t0) / 1e9);
  return 0;
}
