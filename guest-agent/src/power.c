/* Clean poweroff: asking whatever runs as PID 1 (the agent itself, systemd, OpenRC or
 * busybox init), and the final sequence when the agent is PID 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

/* systemd counts SIGRTMIN from 34 (glibc); musl's SIGRTMIN is 35, so use numbers. */
#define SYSTEMD_SIG_POWEROFF (34 + 4)
#define SYSTEMD_SIG_REBOOT (34 + 5)
#define FALLBACK_AFTER_MS 60000

enum shutdown_mode g_shutdown_mode = SHUTDOWN_SYSTEM;
int g_poweroff_reboot;
pid_t g_supervisor_pid;

static int pid1_is_self(void) {
  struct stat a, b;
  return stat("/proc/1/exe", &a) == 0 && stat("/proc/self/exe", &b) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void ask_init(int reboot) {
  char comm[64] = "";
  read_line("/proc/1/comm", comm, sizeof comm);
  if (pid1_is_self()) {
    kill(1, reboot ? SIGUSR1 : SIGTERM);
  } else if (strcmp(comm, "systemd") == 0) {
    kill(1, reboot ? SYSTEMD_SIG_REBOOT : SYSTEMD_SIG_POWEROFF);
  } else {
    char *argv[] = {reboot ? "reboot" : "poweroff", NULL};
    if (run_wait(argv) != 0) kill(1, reboot ? SIGTERM : SIGUSR2); /* busybox init */
  }
}

void power_request(void) {
  if (g_shutdown_mode == SHUTDOWN_TEST_EXIT) {
    logmsg("shutdown requested (test mode): exiting");
    kill(g_supervisor_pid ? g_supervisor_pid : getppid(), SIGTERM);
    return;
  }
  pid_t pid = fork();
  if (pid != 0) return;
  setsid();
  signal(SIGCHLD, SIG_DFL); /* the acceptor ignores SIGCHLD; run_wait must wait */
  logmsg("shutdown requested: %s", g_poweroff_reboot ? "reboot" : "poweroff");
  sync();
  ask_init(g_poweroff_reboot);
  sleep_ms(FALLBACK_AFTER_MS); /* init should have stopped us by now */
  logmsg("init did not shut down in time: forcing it");
  sync();
  reboot(g_poweroff_reboot ? RB_AUTOBOOT : RB_POWER_OFF);
  _exit(1);
}

/* Terminates every process, waits a little, then kills what is left. */
static void kill_all(void) {
  kill(-1, SIGTERM);
  long long deadline = now_ms() + 5000;
  while (now_ms() < deadline) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (kill(-1, 0) < 0 && errno == ESRCH) return;
    sleep_ms(50);
  }
  kill(-1, SIGKILL);
  sleep_ms(100);
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

void power_final(int reboot_instead) {
  logmsg("%s: stopping processes", reboot_instead ? "rebooting" : "powering off");
  kill_all();
  sync();
  if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
    logmsg("remount / read-only: %s", strerror(errno));
  sync();
  reboot(reboot_instead ? RB_AUTOBOOT : RB_POWER_OFF);
  logmsg("reboot(2) failed: %s", strerror(errno));
  for (;;) pause(); /* PID 1 must never exit */
}

/* struct input_event on 64-bit Linux (<linux/input.h> is not shipped with musl). */
struct input_event64 {
  long long sec, usec;
  unsigned short type, code;
  int value;
};
#define EV_KEY 1
#define KEY_POWER 116

static int find_power_button(char *dev, size_t cap) {
  for (int i = 0; i < 32; i++) {
    char path[96], name[128];
    snprintf(path, sizeof path, "/sys/class/input/event%d/device/name", i);
    if (read_line(path, name, sizeof name) < 0 || !strstr(name, "Power Button")) continue;
    snprintf(dev, cap, "/dev/input/event%d", i);
    snprintf(path, sizeof path, "/sys/class/input/event%d/dev", i);
    ensure_dev_node(dev, path);
    return 0;
  }
  return -1;
}

/* ACPI power button (QEMU system_powerdown) -> SIGTERM to PID 1, i.e. a clean poweroff. */
pid_t power_button_watch(void) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  child_reset();
  char dev[64];
  for (int tries = 0; find_power_button(dev, sizeof dev) < 0; tries++) {
    if (tries == 100) _exit(0); /* no ACPI power button: nothing to watch */
    sleep_ms(200);
  }
  int fd = open(dev, O_RDONLY | O_CLOEXEC);
  if (fd < 0) _exit(1);
  struct input_event64 ev;
  while (read(fd, &ev, sizeof ev) == (ssize_t)sizeof ev) {
    if (ev.type == EV_KEY && ev.code == KEY_POWER && ev.value == 1) {
      logmsg("power button pressed");
      kill(1, SIGTERM);
    }
  }
  _exit(1);
}
