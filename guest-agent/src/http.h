/* Minimal HTTP/1.1 server side: Content-Length bodies, keep-alive, one request at a
 * time per connection. The same loop serves sockets and the virtio-serial stream. */
#ifndef BANGER_HTTP_H
#define BANGER_HTTP_H

#include <stddef.h>

#include "util.h"

#define HTTP_MAX_HEAD 8192
#define HTTP_MAX_BODY 65536

struct request {
  char method[16];
  char path[256];
  int keep_alive;
  const char *body;
  size_t body_len;
};

struct response {
  int status;
  struct buf body; /* JSON */
  const char *allow;
  void (*after)(void); /* runs once the response has been written */
};

typedef void (*handler_fn)(const struct request *req, struct response *res);

/* Parses a request head (up to and including the blank line). Returns 0 and fills
 * req/content_length, or an HTTP status (400, 411, 413) for a bad request. */
int http_parse_head(const char *head, size_t len, struct request *req, size_t *content_length);

/* Fills res with {"error":{"code","message"}}. */
void http_error(struct response *res, int status, const char *message);

/* Serves fd until the peer closes (stream) or forever (serial: a host disconnect
 * only resets the parser). fd is switched to non-blocking mode. */
void http_serve_conn(int fd, int serial, handler_fn handler);

#endif
