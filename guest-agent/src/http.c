#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define IDLE_TIMEOUT_MS 120000 /* sockets: close an idle keep-alive connection */
#define REQ_TIMEOUT_MS 30000   /* sockets: a started request must complete */
#define WRITE_TIMEOUT_MS 10000
/* serial: a partial request idle this long is dropped when new bytes arrive. The guest
 * cannot always see a host reconnect (close+open can happen between two polls), so this
 * keeps an abandoned request prefix from corrupting the next client's request. */
#define SERIAL_STALE_MS 500

enum { RD_OK, RD_EOF, RD_TIMEOUT };

struct conn {
  int fd, serial;
  char buf[HTTP_MAX_HEAD + HTTP_MAX_BODY];
  size_t len;
  long long last_rx;
};

static const char *reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    default: return status >= 500 ? "Internal Server Error" : "Error";
  }
}

static const char *code_of(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 411: return "length_required";
    case 413: return "payload_too_large";
    default: return "internal";
  }
}

void http_error(struct response *res, int status, const char *message) {
  res->status = status;
  res->body.len = 0;
  buf_str(&res->body, "{\"error\":{\"code\":");
  buf_jstr(&res->body, code_of(status));
  buf_str(&res->body, ",\"message\":");
  buf_jstr(&res->body, message);
  buf_str(&res->body, "}}");
}

static int is_token(const char *s, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"/[]?={}", c)) return 0;
  }
  return 1;
}

static int parse_request_line(const char *l, size_t n, struct request *req) {
  const char *sp1 = memchr(l, ' ', n);
  if (!sp1) return 400;
  const char *target = sp1 + 1;
  const char *sp2 = memchr(target, ' ', n - (size_t)(target - l));
  if (!sp2) return 400;
  size_t mlen = (size_t)(sp1 - l), tlen = (size_t)(sp2 - target), vlen = n - (size_t)(sp2 + 1 - l);
  if (!is_token(l, mlen) || mlen >= sizeof req->method) return 400;
  if (tlen == 0 || target[0] != '/' || tlen >= sizeof req->path) return 400;
  if (vlen != 8 || (memcmp(sp2 + 1, "HTTP/1.1", 8) && memcmp(sp2 + 1, "HTTP/1.0", 8))) return 400;
  memcpy(req->method, l, mlen);
  req->method[mlen] = 0;
  size_t plen = strcspn(target, "? ");
  if (plen > tlen) plen = tlen;
  memcpy(req->path, target, plen);
  req->path[plen] = 0;
  for (size_t i = 0; i < plen; i++)
    if ((unsigned char)req->path[i] <= 32 || req->path[i] == 127) return 400;
  req->keep_alive = sp2[8] == '1'; /* HTTP/1.1 defaults to keep-alive */
  return 0;
}

static int parse_header(const char *l, size_t n, struct request *req, long long *cl) {
  const char *colon = memchr(l, ':', n);
  if (!colon || !is_token(l, (size_t)(colon - l))) return 400;
  size_t klen = (size_t)(colon - l);
  const char *v = colon + 1;
  size_t vlen = n - klen - 1;
  while (vlen && (*v == ' ' || *v == '\t')) v++, vlen--;
  while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) vlen--;
  if (klen == 14 && strncasecmp(l, "Content-Length", 14) == 0) {
    if (vlen == 0 || vlen > 18) return vlen > 18 ? 413 : 400;
    long long x = 0;
    for (size_t i = 0; i < vlen; i++) {
      if (v[i] < '0' || v[i] > '9') return 400;
      x = x * 10 + (v[i] - '0');
    }
    if (*cl >= 0 && *cl != x) return 400;
    *cl = x;
  } else if (klen == 17 && strncasecmp(l, "Transfer-Encoding", 17) == 0) {
    return 411; /* chunked bodies are not supported: send Content-Length */
  } else if (klen == 10 && strncasecmp(l, "Connection", 10) == 0) {
    if (vlen == 5 && strncasecmp(v, "close", 5) == 0) req->keep_alive = 0;
    if (vlen == 10 && strncasecmp(v, "keep-alive", 10) == 0) req->keep_alive = 1;
  }
  return 0;
}

int http_parse_head(const char *head, size_t len, struct request *req, size_t *content_length) {
  memset(req, 0, sizeof *req);
  long long cl = -1;
  const char *p = head, *end = head + len;
  for (int first = 1; p < end; first = 0) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol || eol == p || eol[-1] != '\r') return 400;
    size_t n = (size_t)(eol - 1 - p);
    if (n == 0) break; /* blank line: end of head */
    if (memchr(p, 0, n)) return 400;
    int rc = first ? parse_request_line(p, n, req) : parse_header(p, n, req, &cl);
    if (rc) return rc;
    p = eol + 1;
  }
  if (!req->method[0]) return 400;
  if (cl > HTTP_MAX_BODY) return 413;
  *content_length = cl < 0 ? 0 : (size_t)cl;
  return 0;
}

/* Waits for input and reads it into the buffer. */
static int read_more(struct conn *c, int timeout_ms) {
  for (;;) {
    struct pollfd pfd = {c->fd, POLLIN, 0};
    int r = poll(&pfd, 1, c->serial ? -1 : timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return RD_TIMEOUT;
    if (r < 0) return RD_EOF;
    if (!(pfd.revents & POLLIN)) {
      if (c->serial && (pfd.revents & POLLHUP)) return RD_EOF; /* host not connected */
      if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) return RD_EOF;
    }
    if (c->serial && c->len && now_ms() - c->last_rx > SERIAL_STALE_MS) {
      logmsg("serial: dropping %zu bytes of an abandoned request", c->len);
      c->len = 0;
    }
    ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return RD_EOF;
    c->len += (size_t)n;
    c->last_rx = now_ms();
    return RD_OK;
  }
}

static int write_conn(struct conn *c, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(c->fd, p, n);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN) return -1;
    struct pollfd pfd = {c->fd, POLLOUT, 0};
    if (poll(&pfd, 1, WRITE_TIMEOUT_MS) <= 0 || !(pfd.revents & POLLOUT)) return -1;
  }
  return 0;
}

static int send_response(struct conn *c, struct response *res, int keep_alive) {
  struct buf head = {0};
  buf_fmt(&head, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n",
          res->status, reason(res->status), res->body.len);
  buf_str(&head, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  if (res->allow) buf_fmt(&head, "Allow: %s\r\n", res->allow);
  buf_str(&head, "\r\n");
  int rc = write_conn(c, head.p, head.len);
  if (rc == 0 && res->body.len) rc = write_conn(c, res->body.p, res->body.len);
  buf_free(&head);
  return rc;
}

/* Serial after a fatal parse error: drop input until the line is quiet. */
static void drain_serial(struct conn *c) {
  c->len = 0;
  for (;;) {
    struct pollfd pfd = {c->fd, POLLIN, 0};
    if (poll(&pfd, 1, 300) <= 0 || !(pfd.revents & POLLIN)) return;
    if (read(c->fd, c->buf, sizeof c->buf) <= 0) return;
  }
}

static char *find_head_end(struct conn *c) {
  for (size_t i = 3; i < c->len; i++)
    if (!memcmp(c->buf + i - 3, "\r\n\r\n", 4)) return c->buf + i + 1;
  return NULL;
}

/* Reads one full request. Returns 0 (ok), an HTTP error status, or -1 (connection gone). */
static int next_request(struct conn *c, struct request *req, size_t *consumed) {
  char *head_end;
  while (!(head_end = find_head_end(c))) {
    if (c->len >= HTTP_MAX_HEAD) return 413;
    int r = read_more(c, c->len ? REQ_TIMEOUT_MS : IDLE_TIMEOUT_MS);
    if (r != RD_OK) return -1;
  }
  size_t head_len = (size_t)(head_end - c->buf), body_len;
  if (head_len > HTTP_MAX_HEAD) return 413;
  int rc = http_parse_head(c->buf, head_len, req, &body_len);
  if (rc) return rc;
  while (c->len < head_len + body_len)
    if (read_more(c, REQ_TIMEOUT_MS) != RD_OK) return -1;
  req->body = c->buf + head_len;
  req->body_len = body_len;
  *consumed = head_len + body_len;
  return 0;
}

void http_serve_conn(int fd, int serial, handler_fn handler) {
  static struct conn c;
  c.fd = fd;
  c.serial = serial;
  c.len = 0;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  for (;;) {
    struct request req;
    struct response res = {0};
    size_t consumed = 0;
    int rc = next_request(&c, &req, &consumed);
    if (rc < 0) {
      if (!serial) return;
      c.len = 0; /* host went away: forget any partial request, wait for the next one */
      sleep_ms(200);
      continue;
    }
    if (rc) {
      http_error(&res, rc, rc == 413 ? "request too large" : "malformed request");
      req.keep_alive = 0;
    } else {
      handler(&req, &res);
    }
    /* the header echoes the client's wish; the serial stream is never closed anyway */
    int ok = send_response(&c, &res, req.keep_alive) == 0;
    buf_free(&res.body);
    if (ok && res.after) res.after();
    if (rc) {
      if (!serial) return;
      drain_serial(&c);
      continue;
    }
    memmove(c.buf, c.buf + consumed, c.len - consumed);
    c.len -= consumed;
    if (!ok || (!req.keep_alive && !serial)) return;
  }
}
