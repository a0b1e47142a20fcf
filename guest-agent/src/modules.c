/* Loads kernel modules from /lib/modules/$(uname -r) with finit_module(2), resolving
 * dependencies from modules.dep like modprobe does (no kmod needed in the image). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent.h"

#define MODULE_INIT_COMPRESSED_FILE 4

const char *const AGENT_MODULES[] = {"virtio_net", "virtio_console", "vmw_vsock_virtio_transport", NULL};

/* Does path (".../virtio-rng.ko[.xz]") name module `name` (dashes == underscores)? */
static int names_module(const char *path, size_t len, const char *name) {
  const char *base = path;
  for (size_t i = 0; i < len; i++)
    if (path[i] == '/') base = path + i + 1;
  size_t n = strlen(name);
  if ((size_t)(path + len - base) < n + 3) return 0;
  for (size_t i = 0; i < n; i++) {
    char a = base[i] == '-' ? '_' : base[i], b = name[i] == '-' ? '_' : name[i];
    if (a != b) return 0;
  }
  return strncmp(base + n, ".ko", 3) == 0;
}

/* Returns the modules.dep (or modules.builtin) line for name, malloc'd, or NULL. */
static char *find_line(const char *dir, const char *file, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen(path, "re");
  if (!f) return NULL;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) {
    size_t key = strcspn(line, ":\n");
    if (names_module(line, key, name)) {
      fclose(f);
      return line;
    }
  }
  free(line);
  fclose(f);
  return NULL;
}

static void insmod(const char *dir, const char *rel) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    logmsg("module %s: %s", rel, strerror(errno));
    return;
  }
  int compressed = !strstr(rel, ".ko") || strstr(rel, ".ko")[3] != 0;
  if (syscall(SYS_finit_module, fd, "", compressed ? MODULE_INIT_COMPRESSED_FILE : 0) < 0 &&
      errno != EEXIST)
    logmsg("module %s: %s", rel, strerror(errno));
  close(fd);
}

static void load_one(const char *dir, const char *name) {
  char sys[128];
  snprintf(sys, sizeof sys, "/sys/module/%s", name);
  if (path_exists(sys)) return; /* loaded, or built in with parameters */
  char *line = find_line(dir, "modules.builtin", name);
  if (line) {
    free(line);
    return;
  }
  line = find_line(dir, "modules.dep", name);
  if (!line) {
    logmsg("module %s: not found in %s/modules.dep", name, dir);
    return;
  }
  /* "mod.ko: dep1.ko dep2.ko" -> load dependencies last-first, then mod */
  char *colon = strchr(line, ':'), *deps[64];
  int ndeps = 0;
  if (!colon) {
    free(line);
    return;
  }
  *colon = 0;
  for (char *t = strtok(colon + 1, " \t\n"); t && ndeps < 64; t = strtok(NULL, " \t\n"))
    deps[ndeps++] = t;
  while (ndeps > 0) insmod(dir, deps[--ndeps]);
  insmod(dir, line);
  free(line);
}

void modules_load(const char *const names[]) {
  struct utsname u;
  char dir[300];
  if (uname(&u) < 0) return;
  snprintf(dir, sizeof dir, "/lib/modules/%s", u.release);
  if (!path_exists(dir)) return; /* everything built in, or no modules shipped */
  for (size_t i = 0; names[i]; i++) load_one(dir, names[i]);
}
