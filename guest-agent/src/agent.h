/* Cross-module entry points of banger-agent. */
#ifndef BANGER_AGENT_H
#define BANGER_AGENT_H

#include "cmdline.h"
#include "http.h"
#include "util.h"

/* routes.c: the HTTP API. */
void routes_handle(const struct request *req, struct response *res);

/* ports.c: appends the listening sockets as a JSON array. */
void ports_json(struct buf *b);

/* power.c */
enum shutdown_mode { SHUTDOWN_SYSTEM, SHUTDOWN_TEST_EXIT };
extern enum shutdown_mode g_shutdown_mode;
extern int g_poweroff_reboot; /* banger.poweroff=reboot */
extern pid_t g_supervisor_pid;
void power_request(void);                             /* from the server: ask init */
__attribute__((noreturn)) void power_final(int reboot); /* as PID 1 only */
pid_t power_button_watch(void);                        /* ACPI power button -> poweroff */

/* modules.c: loads modules (and their dependencies) unless built in or loaded. */
extern const char *const AGENT_MODULES[]; /* virtio_net, virtio_console, vsock */
void modules_load(const char *const names[]);

/* net.c: configures lo + the first ethernet interface, /etc files, hostname.
 * root is prepended to /etc paths ("" for the real root). Returns 0 or -1. */
int net_up(const struct bootcfg *c, const char *root);

/* serve.c */
struct serve_opts {
  const char *unix_path; /* test mode */
  int vsock_port;        /* 0 = off */
  int serial;            /* serve the virtio-serial port */
  const char *serial_path; /* explicit device, else discovered */
};
int serve_run(const struct serve_opts *o); /* supervisor; returns exit code */
pid_t serve_spawn(const struct bootcfg *c); /* fork a default guest server */

/* init.c */
__attribute__((noreturn)) void init_main(int argc, char **argv);
void sshd_prepare_and_start(void); /* generate ed25519 host key, /run/sshd */

#endif
