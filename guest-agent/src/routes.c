/* GET /healthz, GET /ports, GET /sysinfo, POST /shutdown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent.h"

static double uptime_s(void) {
  char s[128];
  return read_file("/proc/uptime", s, sizeof s) > 0 ? atof(s) : 0;
}

static void healthz(struct buf *b) {
  char boot_id[64] = "", pid1[64] = "";
  struct utsname u;
  read_line("/proc/sys/kernel/random/boot_id", boot_id, sizeof boot_id);
  read_line("/proc/1/comm", pid1, sizeof pid1);
  uname(&u);
  buf_str(b, "{\"version\":");
  buf_jstr(b, BANGER_VERSION);
  buf_fmt(b, ",\"uptime_s\":%.2f,\"boot_id\":", uptime_s());
  buf_jstr(b, boot_id);
  buf_str(b, ",\"hostname\":");
  buf_jstr(b, u.nodename);
  buf_str(b, ",\"kernel\":");
  buf_jstr(b, u.release);
  buf_str(b, ",\"init\":");
  buf_jstr(b, pid1);
  buf_str(b, "}");
}

static unsigned long long meminfo(const char *all, const char *key) {
  const char *p = strstr(all, key);
  return p ? strtoull(p + strlen(key), NULL, 10) * 1024ULL : 0;
}

static void disk(struct buf *b, const char *path, const struct stat *root) {
  struct statvfs v;
  struct stat st;
  if (statvfs(path, &v) < 0 || stat(path, &st) < 0) return;
  unsigned long long f = v.f_frsize;
  buf_str(b, "{\"path\":");
  buf_jstr(b, path);
  buf_fmt(b, ",\"total_bytes\":%llu,\"used_bytes\":%llu,\"available_bytes\":%llu,\"own_fs\":%s}",
          f * v.f_blocks, f * (v.f_blocks - v.f_bfree), f * v.f_bavail,
          (strcmp(path, "/") == 0 || st.st_dev != root->st_dev) ? "true" : "false");
}

static void sysinfo(struct buf *b) {
  char mem[4096] = "", load[128] = "";
  read_file("/proc/meminfo", mem, sizeof mem);
  read_file("/proc/loadavg", load, sizeof load);
  double l1 = 0, l5 = 0, l15 = 0;
  sscanf(load, "%lf %lf %lf", &l1, &l5, &l15);
  unsigned long long total = meminfo(mem, "MemTotal:"), avail = meminfo(mem, "MemAvailable:");
  buf_fmt(b, "{\"uptime_s\":%.2f,\"cpus\":%ld,\"load\":{\"1m\":%.2f,\"5m\":%.2f,\"15m\":%.2f},",
          uptime_s(), sysconf(_SC_NPROCESSORS_ONLN), l1, l5, l15);
  buf_fmt(b,
          "\"memory\":{\"total_bytes\":%llu,\"available_bytes\":%llu,\"used_bytes\":%llu,"
          "\"free_bytes\":%llu,\"swap_total_bytes\":%llu,\"swap_free_bytes\":%llu},\"disks\":[",
          total, avail, total > avail ? total - avail : 0, meminfo(mem, "MemFree:"),
          meminfo(mem, "SwapTotal:"), meminfo(mem, "SwapFree:"));
  struct stat root;
  if (stat("/", &root) == 0) {
    size_t before = b->len;
    disk(b, "/", &root);
    if (b->len != before) buf_str(b, ",");
    disk(b, "/root", &root);
    if (b->p[b->len - 1] == ',') b->p[--b->len] = 0;
  }
  buf_str(b, "]}");
}

static void get_healthz(struct response *res) { healthz(&res->body); }
static void get_sysinfo(struct response *res) { sysinfo(&res->body); }

static void get_ports(struct response *res) {
  buf_str(&res->body, "{\"ports\":");
  ports_json(&res->body);
  buf_str(&res->body, "}");
}

static void post_shutdown(struct response *res) {
  res->status = 202;
  buf_str(&res->body, g_shutdown_mode == SHUTDOWN_TEST_EXIT
                          ? "{\"status\":\"shutting down\",\"action\":\"test-exit\"}"
                          : "{\"status\":\"shutting down\",\"action\":\"poweroff\"}");
  res->after = power_request;
}

static const struct {
  const char *method, *path;
  void (*fn)(struct response *);
} endpoints[] = {
    {"GET", "/healthz", get_healthz},
    {"GET", "/ports", get_ports},
    {"GET", "/sysinfo", get_sysinfo},
    {"POST", "/shutdown", post_shutdown},
};

void routes_handle(const struct request *req, struct response *res) {
  for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
    if (strcmp(req->path, endpoints[i].path) != 0) continue;
    if (strcmp(req->method, endpoints[i].method) != 0) {
      http_error(res, 405, "method not allowed");
      res->allow = endpoints[i].method;
      return;
    }
    res->status = 200;
    endpoints[i].fn(res);
    return;
  }
  http_error(res, 404, "no such endpoint");
}
