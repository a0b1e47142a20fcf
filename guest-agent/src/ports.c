/* Listening TCP and unbound-peer UDP sockets (v4 + v6) from /proc/net, with the owning
 * process found by matching socket inodes in /proc/<pid>/fd. No netlink, no `ss`. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

struct sock {
  const char *proto;
  int v6;
  char addr[INET6_ADDRSTRLEN];
  unsigned port;
  unsigned long inode;
  int pid;
};

struct socks {
  struct sock *v;
  size_t n, cap;
};

/* /proc/net addresses are 32-bit words in host byte order, printed in hex. */
static void decode_addr(const char *hex, int v6, char *out) {
  unsigned char raw[16];
  for (int w = 0; w < (v6 ? 4 : 1); w++) {
    char word[9] = {0};
    memcpy(word, hex + w * 8, 8);
    unsigned int x = (unsigned int)strtoul(word, NULL, 16);
    memcpy(raw + w * 4, &x, 4);
  }
  inet_ntop(v6 ? AF_INET6 : AF_INET, raw, out, INET6_ADDRSTRLEN);
}

static void scan_table(struct socks *s, const char *file, const char *proto, int v6) {
  char path[64];
  snprintf(path, sizeof path, "/proc/net/%s", file);
  FILE *f = fopen(path, "re");
  if (!f) return;
  char line[512], local[40], remote[40];
  unsigned lport, rport, state;
  unsigned long inode;
  int tcp = proto[0] == 't';
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*s %*s %*s %*u %*d %lu",
               local, &lport, remote, &rport, &state, &inode) != 6)
      continue;
    if (strlen(local) != (v6 ? 32u : 8u)) continue;
    if (tcp ? state != 0x0A : (state != 0x07 || rport != 0)) continue; /* LISTEN / unconnected */
    if (s->n == s->cap) {
      s->cap = s->cap ? s->cap * 2 : 32;
      s->v = realloc(s->v, s->cap * sizeof *s->v);
      if (!s->v) abort();
    }
    struct sock *k = &s->v[s->n++];
    k->proto = proto;
    k->v6 = v6;
    decode_addr(local, v6, k->addr);
    k->port = lport;
    k->inode = inode;
    k->pid = 0;
  }
  fclose(f);
}

static void match_fds(struct socks *s, int pid) {
  char dir[64], link[330], target[64];
  snprintf(dir, sizeof dir, "/proc/%d/fd", pid);
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 9 || strncmp(target, "socket:[", 8) != 0) continue;
    target[n] = 0;
    unsigned long inode = strtoul(target + 8, NULL, 10);
    for (size_t i = 0; i < s->n; i++)
      if (s->v[i].inode == inode && (!s->v[i].pid || pid < s->v[i].pid)) s->v[i].pid = pid;
  }
  closedir(d);
}

static void find_owners(struct socks *s) {
  DIR *d = opendir("/proc");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)))
    if (isdigit((unsigned char)e->d_name[0])) match_fds(s, atoi(e->d_name));
  closedir(d);
}

static void process_json(struct buf *b, int pid) {
  char path[64], comm[64] = "", argv[8192];
  snprintf(path, sizeof path, "/proc/%d/comm", pid);
  read_line(path, comm, sizeof comm);
  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  ssize_t n = read_file(path, argv, sizeof argv);
  if (n < 0) n = 0;
  while (n > 0 && argv[n - 1] == 0) n--; /* drop trailing NULs */
  buf_fmt(b, ",\"pid\":%d,\"process\":", pid);
  buf_jstr(b, comm);
  buf_str(b, ",\"argv\":[");
  for (ssize_t i = 0; i < n; i += (ssize_t)strlen(argv + i) + 1) {
    if (i) buf_str(b, ",");
    buf_jstr(b, argv + i);
  }
  for (ssize_t i = 0; i < n; i++)
    if (argv[i] == 0) argv[i] = ' ';
  buf_str(b, "],\"cmdline\":");
  buf_json(b, argv, (size_t)n);
}

void ports_json(struct buf *b) {
  struct socks s = {0};
  scan_table(&s, "tcp", "tcp", 0);
  scan_table(&s, "tcp6", "tcp", 1);
  scan_table(&s, "udp", "udp", 0);
  scan_table(&s, "udp6", "udp", 1);
  if (s.n) find_owners(&s);
  buf_str(b, "[");
  for (size_t i = 0; i < s.n; i++) {
    struct sock *k = &s.v[i];
    buf_fmt(b, "%s{\"proto\":\"%s\",\"family\":\"%s\",\"address\":\"%s\",\"port\":%u,\"inode\":%lu",
            i ? "," : "", k->proto, k->v6 ? "ipv6" : "ipv4", k->addr, k->port, k->inode);
    if (k->pid) process_json(b, k->pid);
    else buf_str(b, ",\"pid\":null,\"process\":null,\"argv\":[],\"cmdline\":null");
    buf_str(b, "}");
  }
  buf_str(b, "]");
  free(s.v);
}
