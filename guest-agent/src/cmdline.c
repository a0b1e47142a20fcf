#include "cmdline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "util.h"

static void set(char *dst, size_t cap, const char *v, size_t n) {
  if (n >= cap) n = cap - 1;
  memcpy(dst, v, n);
  dst[n] = 0;
}

static void apply(struct bootcfg *c, const char *key, size_t klen, const char *v, size_t n) {
#define IS(k) (klen == strlen(k) && strncmp(key, k, klen) == 0)
  char tmp[256];
  set(tmp, sizeof tmp, v, n);
  if (IS(CMDLINE_IP)) {
    char *slash = strchr(tmp, '/');
    c->prefix = slash ? atoi(slash + 1) : 24;
    if (slash) *slash = 0;
    if (c->prefix < 0 || c->prefix > 32) c->prefix = 24;
    set(c->ip, sizeof c->ip, tmp, strlen(tmp));
  } else if (IS(CMDLINE_GATEWAY)) {
    set(c->gw, sizeof c->gw, v, n);
  } else if (IS(CMDLINE_DNS)) {
    set(c->dns, sizeof c->dns, v, n);
  } else if (IS(CMDLINE_HOSTNAME)) {
    set(c->hostname, sizeof c->hostname, v, n);
  } else if (IS(CMDLINE_INIT)) {
    set(c->init, sizeof c->init, v, n);
  } else if (IS(CMDLINE_VSOCK_PORT)) {
    int port = atoi(tmp);
    if (port > 0) c->vsock_port = port;
  } else if (IS(CMDLINE_POWEROFF)) {
    c->poweroff_reboot = strcmp(tmp, "reboot") == 0;
  } else if (IS(CMDLINE_WORK)) {
    set(c->work, sizeof c->work, v, n);
  }
#undef IS
}

void bootcfg_parse(struct bootcfg *c, const char *s) {
  memset(c, 0, sizeof *c);
  c->vsock_port = AGENT_VSOCK_PORT;
  while (*s) {
    while (*s == ' ' || *s == '\t' || *s == '\n') s++;
    if (!*s) break;
    const char *key = s;
    int quoted = 0;
    while (*s && (quoted || (*s != ' ' && *s != '\t' && *s != '\n'))) {
      if (*s == '"') quoted = !quoted;
      s++;
    }
    const char *eq = memchr(key, '=', (size_t)(s - key));
    if (!eq) continue;
    const char *v = eq + 1;
    size_t n = (size_t)(s - v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') v++, n -= 2;
    apply(c, key, (size_t)(eq - key), v, n);
  }
}

int bootcfg_load(struct bootcfg *c, const char *path) {
  char line[4096];
  if (read_file(path ? path : "/proc/cmdline", line, sizeof line) < 0) {
    bootcfg_parse(c, "");
    return -1;
  }
  bootcfg_parse(c, line);
  return 0;
}
