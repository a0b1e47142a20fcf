/* Transports: a supervisor process keeps one worker per transport alive.
 *   vsock  - AF_VSOCK listener, only the host (CID 2) may connect; fork per connection
 *   serial - /dev/virtio-ports/banger.agent, one byte stream served sequentially
 *   unix   - test mode: a Unix socket path on any host */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "contract.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#define VMADDR_CID_ANY 0xffffffffu
#define VMADDR_CID_HOST 2u

struct sockaddr_vm { /* <linux/vm_sockets.h>, not shipped with musl */
  sa_family_t svm_family;
  unsigned short svm_reserved1;
  unsigned int svm_port, svm_cid;
  unsigned char svm_flags, svm_zero[3];
};

enum worker { W_UNIX, W_VSOCK, W_SERIAL, W_COUNT };

static int listen_unix(const char *path) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof a.sun_path) return -1;
  strcpy(a.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  unlink(path);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0) return -1;
  chmod(path, 0600);
  return fd;
}

static int listen_vsock(int port) {
  struct sockaddr_vm a = {.svm_family = AF_VSOCK, .svm_port = (unsigned)port, .svm_cid = VMADDR_CID_ANY};
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int peer_allowed(int fd, int vsock) {
  if (!vsock) return 1;
  struct sockaddr_vm a = {0};
  socklen_t len = sizeof a;
  return getpeername(fd, (struct sockaddr *)&a, &len) == 0 && a.svm_cid == VMADDR_CID_HOST;
}

static void accept_loop(int lfd, int vsock) {
  signal(SIGCHLD, SIG_IGN); /* connection children are reaped by the kernel */
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EINTR) sleep_ms(100);
      continue;
    }
    if (!peer_allowed(fd, vsock)) {
      logmsg("vsock: rejected a connection not from the host");
    } else if (fork() == 0) {
      close(lfd);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      http_serve_conn(fd, 0, routes_handle);
      _exit(0);
    }
    close(fd);
  }
}

/* /dev/virtio-ports/<name> comes from udev; without udev, look the port up in sysfs
 * and create the device node if devtmpfs did not. */
static int find_serial(char *out, size_t cap) {
  snprintf(out, cap, "/dev/virtio-ports/%s", AGENT_SERIAL_NAME);
  if (path_exists(out)) return 0;
  DIR *d = opendir("/sys/class/virtio-ports");
  if (!d) return -1;
  struct dirent *e;
  int rc = -1;
  while (rc < 0 && (e = readdir(d))) {
    char path[300], name[64];
    if (e->d_name[0] == '.' || strlen(e->d_name) > 32) continue;
    snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
    if (read_line(path, name, sizeof name) < 0 || strcmp(name, AGENT_SERIAL_NAME)) continue;
    snprintf(out, cap, "/dev/%.32s", e->d_name);
    snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/dev", e->d_name);
    ensure_dev_node(out, path);
    rc = 0;
  }
  closedir(d);
  return rc;
}

static void serial_loop(const char *explicit_path) {
  char path[128];
  long long started = now_ms();
  for (int logged = 0;; logged = 1) {
    if (explicit_path) snprintf(path, sizeof path, "%s", explicit_path);
    if (explicit_path || find_serial(path, sizeof path) == 0) {
      int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (fd >= 0) {
        logmsg("serving on %s", path);
        http_serve_conn(fd, 1, routes_handle); /* only returns on a read error */
        close(fd);
      } else if (!logged) {
        logmsg("serial: open %s: %s", path, strerror(errno));
      }
    }
    sleep_ms(now_ms() - started < 30000 ? 500 : 5000); /* port not there (yet) */
  }
}

static void vsock_loop(int port) {
  for (int logged = 0;; logged = 1) {
    int fd = listen_vsock(port);
    if (fd >= 0) {
      logmsg("serving on vsock port %d", port);
      accept_loop(fd, 1);
    }
    if (!logged) logmsg("vsock: port %d: %s (will retry)", port, strerror(errno));
    sleep_ms(5000); /* no vsock transport (yet): e.g. QEMU without a vsock device */
  }
}

static pid_t start_worker(enum worker w, const struct serve_opts *o) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  child_reset();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (w == W_UNIX) {
    int fd = listen_unix(o->unix_path);
    if (fd < 0) {
      logmsg("unix: %s: %s", o->unix_path, strerror(errno));
      _exit(1);
    }
    accept_loop(fd, 0);
  }
  if (w == W_VSOCK) vsock_loop(o->vsock_port);
  serial_loop(o->serial_path);
  _exit(1);
}

int serve_run(const struct serve_opts *o) {
  int want[W_COUNT] = {o->unix_path != NULL, o->vsock_port > 0, o->serial};
  pid_t pids[W_COUNT] = {0};
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, NULL);
  g_supervisor_pid = getpid();
  for (int w = 0; w < W_COUNT; w++)
    if (want[w]) pids[w] = start_worker(w, o);
  for (;;) {
    int sig = sigwaitinfo(&set, NULL);
    if (sig == SIGTERM || sig == SIGINT) break;
    pid_t pid;
    int st;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
      for (int w = 0; w < W_COUNT; w++) {
        if (pids[w] != pid) continue;
        logmsg("worker %d exited (status %d): restarting", w, st);
        if (w == W_UNIX && WIFEXITED(st) && WEXITSTATUS(st) == 1) return 1; /* cannot listen */
        sleep_ms(1000);
        pids[w] = start_worker(w, o);
      }
    }
  }
  for (int w = 0; w < W_COUNT; w++)
    if (pids[w] > 0) kill(pids[w], SIGTERM);
  if (o->unix_path) unlink(o->unix_path);
  return 0;
}

pid_t serve_spawn(const struct bootcfg *c) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  child_reset();
  struct serve_opts o = {.vsock_port = c->vsock_port, .serial = 1};
  g_poweroff_reboot = c->poweroff_reboot;
  _exit(serve_run(&o));
}
