/* banger-agent: guest agent, network bootstrap and init shim in one static binary.
 *   (as PID 1)                       init shim, see init.c
 *   serve [--unix PATH] [--vsock PORT] [--serial [DEV]]   HTTP server (default: vsock+serial)
 *   netup [--cmdline FILE] [--root DIR]                   network bring-up only
 *   version */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

static int usage(void) {
  fprintf(stderr,
          "usage: banger-agent serve [--unix PATH] [--vsock PORT] [--serial [DEV]]\n"
          "       banger-agent netup [--cmdline FILE] [--root DIR]\n"
          "       banger-agent version\n");
  return 2;
}

static int cmd_serve(int argc, char **argv) {
  struct bootcfg c;
  bootcfg_load(&c, NULL);
  struct serve_opts o = {0};
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--unix") && i + 1 < argc) o.unix_path = argv[++i];
    else if (!strcmp(argv[i], "--vsock") && i + 1 < argc) o.vsock_port = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--serial")) {
      o.serial = 1;
      if (i + 1 < argc && argv[i + 1][0] == '/') o.serial_path = argv[++i];
    } else return usage();
  }
  if (o.unix_path) g_shutdown_mode = SHUTDOWN_TEST_EXIT; /* never power off a test host */
  else if (!o.vsock_port && !o.serial) o.vsock_port = c.vsock_port, o.serial = 1;
  g_poweroff_reboot = c.poweroff_reboot;
  return serve_run(&o);
}

static int cmd_netup(int argc, char **argv) {
  const char *file = NULL, *root = "";
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--cmdline") && i + 1 < argc) file = argv[++i];
    else if (!strcmp(argv[i], "--root") && i + 1 < argc) root = argv[++i];
    else return usage();
  }
  struct bootcfg c;
  if (bootcfg_load(&c, file) < 0) {
    logmsg("cannot read %s", file ? file : "/proc/cmdline");
    return 1;
  }
  if (!file) modules_load(AGENT_MODULES);
  return net_up(&c, root) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (getpid() == 1) init_main(argc, argv);
  const char *cmd = argc > 1 ? argv[1] : "";
  if (!strcmp(cmd, "serve")) return cmd_serve(argc, argv);
  if (!strcmp(cmd, "netup")) return cmd_netup(argc, argv);
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
    printf("banger-agent %s\n", BANGER_VERSION);
    return 0;
  }
  return usage();
}
