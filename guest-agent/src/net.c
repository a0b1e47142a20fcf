/* Network bring-up from banger.* parameters by ioctl: loopback up, address/prefix on
 * the first ethernet interface, default route, /etc/resolv.conf, /etc/hostname. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"

#define IFACE_WAIT_MS 10000

/* eth0 when present, else the first (by name) ARPHRD_ETHER interface. */
static int first_ether(char *out) {
  DIR *d = opendir("/sys/class/net");
  if (!d) return -1;
  struct dirent *e;
  out[0] = 0;
  while ((e = readdir(d))) {
    char path[300], type[16];
    if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ) continue;
    snprintf(path, sizeof path, "/sys/class/net/%s/type", e->d_name);
    if (read_line(path, type, sizeof type) < 0 || atoi(type) != 1) continue;
    if (!out[0] || strcmp(e->d_name, "eth0") == 0 ||
        (strcmp(out, "eth0") != 0 && strcmp(e->d_name, out) < 0))
      strcpy(out, e->d_name); /* length checked above */
  }
  closedir(d);
  return out[0] ? 0 : -1;
}

static void sin_set(struct sockaddr *sa, in_addr_t a) {
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = a};
  memcpy(sa, &sin, sizeof sin);
}

static int if_up(int fd, const char *name) {
  struct ifreq r = {0};
  snprintf(r.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl(fd, SIOCGIFFLAGS, &r) < 0) return -1;
  r.ifr_flags |= IFF_UP | IFF_RUNNING;
  return ioctl(fd, SIOCSIFFLAGS, &r);
}

static int set_addr(int fd, const char *name, in_addr_t ip, int prefix) {
  struct ifreq r = {0};
  snprintf(r.ifr_name, IFNAMSIZ, "%s", name);
  sin_set(&r.ifr_addr, ip);
  if (ioctl(fd, SIOCSIFADDR, &r) < 0) return -1;
  sin_set(&r.ifr_netmask, prefix ? htonl(0xffffffffu << (32 - prefix)) : 0);
  return ioctl(fd, SIOCSIFNETMASK, &r);
}

static int add_default_route(int fd, const char *name, in_addr_t gw) {
  struct rtentry rt = {0};
  sin_set(&rt.rt_dst, 0);
  sin_set(&rt.rt_genmask, 0);
  sin_set(&rt.rt_gateway, gw);
  rt.rt_flags = RTF_UP | RTF_GATEWAY;
  rt.rt_dev = (char *)name;
  if (ioctl(fd, SIOCADDRT, &rt) < 0 && errno != EEXIST) return -1;
  return 0;
}

static int configure_iface(const struct bootcfg *c) {
  in_addr_t ip = inet_addr(c->ip), gw = c->gw[0] ? inet_addr(c->gw) : 0;
  if (ip == INADDR_NONE || gw == INADDR_NONE) {
    logmsg("net: bad address ip=%s gw=%s", c->ip, c->gw);
    return -1;
  }
  char name[IFNAMSIZ];
  long long deadline = now_ms() + IFACE_WAIT_MS;
  while (first_ether(name) < 0) { /* the driver may still be probing */
    if (now_ms() > deadline) {
      logmsg("net: no ethernet interface found");
      return -1;
    }
    sleep_ms(100);
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;
  if (fd < 0) return -1;
  if (set_addr(fd, name, ip, c->prefix) < 0) logmsg("net: %s address: %s", name, strerror(errno));
  else if (if_up(fd, name) < 0) logmsg("net: %s up: %s", name, strerror(errno));
  else if (gw && add_default_route(fd, name, gw) < 0) logmsg("net: route: %s", strerror(errno));
  else rc = 0;
  close(fd);
  if (rc == 0) logmsg("net: %s %s/%d gw %s", name, c->ip, c->prefix, c->gw[0] ? c->gw : "-");
  return rc;
}

static int write_etc(const char *root, const char *file, const char *data) {
  char path[512];
  snprintf(path, sizeof path, "%s/etc", root);
  mkdir_p(path, 0755);
  snprintf(path, sizeof path, "%s/etc/%s", root, file);
  if (write_file(path, data, 0644) == 0) return 0;
  logmsg("net: write %s: %s", path, strerror(errno));
  return -1;
}

static int write_resolv(const struct bootcfg *c, const char *root) {
  struct buf b = {0};
  char dns[sizeof c->dns];
  snprintf(dns, sizeof dns, "%s", c->dns);
  buf_str(&b, "# written by banger-agent from the kernel command line (banger.dns)\n");
  for (char *t = strtok(dns, ","); t; t = strtok(NULL, ",")) buf_fmt(&b, "nameserver %s\n", t);
  int rc = write_etc(root, "resolv.conf", b.p);
  buf_free(&b);
  return rc;
}

/* Is name a whole word on some line of an /etc/hosts text (after the address)? */
static int hosts_has(const char *hosts, const char *name) {
  size_t n = strlen(name);
  for (const char *p = hosts; (p = strstr(p, name)); p += n) {
    char before = p == hosts ? '\n' : p[-1], after = p[n];
    if ((before == ' ' || before == '\t') && strchr(" \t\n#", after ? after : '\n')) return 1;
  }
  return 0;
}

static int write_hostname(const struct bootcfg *c, const char *root) {
  char line[300], path[512], hosts[16384];
  snprintf(line, sizeof line, "%s\n", c->hostname);
  int rc = write_etc(root, "hostname", line);
  if (sethostname(c->hostname, strlen(c->hostname)) < 0) {
    logmsg("net: sethostname: %s", strerror(errno));
    rc = -1;
  }
  snprintf(path, sizeof path, "%s/etc/hosts", root);
  ssize_t n = read_file(path, hosts, sizeof hosts - 512);
  if (n < 0) n = snprintf(hosts, sizeof hosts, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n");
  if (!hosts_has(hosts, c->hostname)) {
    if (n > 0 && hosts[n - 1] != '\n') strcat(hosts, "\n");
    snprintf(hosts + strlen(hosts), 512, "127.0.1.1\t%s\n", c->hostname);
    if (write_etc(root, "hosts", hosts) < 0) rc = -1;
  }
  return rc;
}

int net_up(const struct bootcfg *c, const char *root) {
  int rc = 0, fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || if_up(fd, "lo") < 0) {
    logmsg("net: lo up: %s", strerror(errno));
    rc = -1;
  }
  if (fd >= 0) close(fd);
  if (c->ip[0] && configure_iface(c) < 0) rc = -1;
  if (c->dns[0] && write_resolv(c, root) < 0) rc = -1;
  if (c->hostname[0] && write_hostname(c, root) < 0) rc = -1;
  return rc;
}
