/* The init shim (kernel `init=` + PID 1): mount what is missing, load modules, bring the
 * network up, fork the agent server, then exec the image's own init. Without an init the
 * agent stays PID 1 as a minimal init. Nothing here may make PID 1 exit. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "contract.h"

static const char *const INITS[] = {"/sbin/init", "/etc/init", "/bin/init", NULL};
static const char *const SSHDS[] = {"/usr/sbin/sshd", "/usr/bin/sshd", "/sbin/sshd", NULL};

static void console_stdio(void) {
  if (fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0) return;
  int fd = open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;
  for (int i = 0; i < 3; i++)
    if (fcntl(i, F_GETFD) < 0) dup2(fd, i);
  if (fd > 2) close(fd);
}

static int is_mountpoint(const char *dir) {
  struct stat a, b;
  char parent[256];
  snprintf(parent, sizeof parent, "%s/..", dir);
  return stat(dir, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

static void mount_fs(const char *type, const char *dir, unsigned long flags, const char *data) {
  mkdir(dir, 0755);
  if (is_mountpoint(dir)) return;
  if (mount(type, dir, type, flags, data) < 0) logmsg("mount %s on %s: %s", type, dir, strerror(errno));
}

static void early_mounts(void) {
  mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_fs("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_fs("devtmpfs", "/dev", MS_NOSUID, "mode=0755");
  mount_fs("tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=0755");
  struct statvfs v;
  if (statvfs("/", &v) == 0 && (v.f_flag & ST_RDONLY) && mount(NULL, "/", NULL, MS_REMOUNT, NULL) < 0)
    logmsg("remount / read-write: %s", strerror(errno));
}

static const char *first_executable(const char *const paths[]) {
  struct stat self, st;
  stat("/proc/self/exe", &self);
  for (size_t i = 0; paths[i]; i++) {
    if (!is_executable(paths[i]) || stat(paths[i], &st) < 0) continue;
    if (st.st_dev == self.st_dev && st.st_ino == self.st_ino) continue; /* not ourselves */
    return paths[i];
  }
  return NULL;
}

/* sshd in the child: /run/sshd, an ed25519 host key first (then ecdsa), then exec. */
static pid_t start_sshd(void) {
  const char *sshd = first_executable(SSHDS);
  if (!sshd) return 0;
  pid_t pid = fork();
  if (pid != 0) return pid;
  child_reset();
  mkdir("/run/sshd", 0755);
  const char *types[] = {"ed25519", "ecdsa"};
  for (int i = 0; i < 2; i++) {
    char key[128];
    snprintf(key, sizeof key, "/etc/ssh/ssh_host_%s_key", types[i]);
    if (path_exists(key)) continue;
    char *argv[] = {"ssh-keygen", "-q", "-t", (char *)types[i], "-N", "", "-f", key, NULL};
    if (run_wait(argv) != 0) logmsg("ssh-keygen %s failed", types[i]);
  }
  execl(sshd, sshd, "-D", "-e", (char *)NULL);
  logmsg("exec %s: %s", sshd, strerror(errno));
  _exit(127);
}

/* Installs openssh-server on first boot when the image has no sshd (see firstboot.sh). */
static pid_t firstboot_spawn(int start_sshd_after) {
  const char *script = GUEST_LIB_DIR "/firstboot.sh";
  if (first_executable(SSHDS) || !is_executable(script)) return 0;
  pid_t pid = fork();
  if (pid != 0) return pid;
  child_reset();
  setenv("BANGER_START_SSHD", start_sshd_after ? "1" : "0", 1);
  execl("/bin/sh", "sh", script, (char *)NULL);
  logmsg("exec %s: %s", script, strerror(errno));
  _exit(127);
}

static void reap(pid_t *server, pid_t *sshd, pid_t *firstboot, const struct bootcfg *c) {
  static int sshd_restarts;
  pid_t pid;
  while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
    if (pid == *server) {
      logmsg("agent server exited: restarting");
      sleep_ms(1000);
      *server = serve_spawn(c);
    } else if (pid == *sshd) {
      *sshd = 0;
      if (sshd_restarts++ < 5) {
        sleep_ms(1000);
        *sshd = start_sshd();
      }
    } else if (pid == *firstboot) {
      *firstboot = 0;
      if (!*sshd) *sshd = start_sshd();
    }
  }
}

/* The VM's work disk holds /root: mount it before any init runs (ext4 is built in). */
static void mount_work(const struct bootcfg *c) {
  if (!c->work[0] || is_mountpoint("/root")) return;
  mkdir("/root", 0700);
  for (int i = 0; i < 50 && access(c->work, F_OK) < 0; i++) sleep_ms(100); /* udev-less: devtmpfs node appears with the driver */
  if (mount(c->work, "/root", "ext4", MS_NOATIME, NULL) < 0) logmsg("mount %s on /root: %s", c->work, strerror(errno));
  else logmsg("work disk %s mounted on /root", c->work);
}

/* PID 1 without an image init: supervise the server and sshd, power off on request. */
static void minimal_init(const struct bootcfg *c, pid_t server) {
  logmsg("no init in the image: running as a minimal init");
  reboot(RB_DISABLE_CAD); /* ctrl-alt-del becomes SIGINT */
  mount_fs("devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666");
  mount_fs("tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV, "mode=1777");
  mkdir("/tmp", 01777);
  static const char *const button_modules[] = {"button", "evdev", NULL};
  modules_load(button_modules);
  sigset_t set;
  sigemptyset(&set);
  int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGPWR};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&set, sigs[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  pid_t firstboot = firstboot_spawn(0);
  pid_t sshd = firstboot ? 0 : start_sshd();
  power_button_watch();
  for (;;) {
    struct timespec ts = {5, 0};
    int sig = sigtimedwait(&set, NULL, &ts);
    if (sig == SIGTERM || sig == SIGINT || sig == SIGPWR || sig == SIGUSR2) power_final(c->poweroff_reboot);
    if (sig == SIGUSR1) power_final(1);
    reap(&server, &sshd, &firstboot, c);
  }
}

void init_main(int argc, char **argv) {
  (void)argc;
  console_stdio();
  setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
  if (!getenv("HOME")) setenv("HOME", "/root", 1);
  logmsg("init shim %s starting", BANGER_VERSION);
  early_mounts();
  console_stdio(); /* again: /dev may only exist now */
  modules_load(AGENT_MODULES);
  struct bootcfg c;
  if (bootcfg_load(&c, NULL) < 0) logmsg("cannot read /proc/cmdline");
  g_poweroff_reboot = c.poweroff_reboot;
  mount_work(&c);
  if (net_up(&c, "") < 0) logmsg("network bring-up had errors (continuing)");
  pid_t server = serve_spawn(&c);
  const char *cands[] = {c.init[0] ? c.init : "/sbin/init", INITS[0], INITS[1], INITS[2], NULL};
  const char *init = first_executable(cands);
  if (init) {
    firstboot_spawn(1);
    logmsg("exec %s", init);
    argv[0] = (char *)init;
    execv(init, argv);
    logmsg("exec %s: %s", init, strerror(errno));
  }
  minimal_init(&c, server);
  for (;;) pause();
}
