/* The banger.* kernel command-line parameters (see contract.h). */
#ifndef BANGER_CMDLINE_H
#define BANGER_CMDLINE_H

struct bootcfg {
  char ip[64];     /* "" when not configured */
  int prefix;      /* 0..32 */
  char gw[64];
  char dns[256];   /* comma-separated */
  char hostname[256];
  char init[256];  /* real init; "" = default search */
  int vsock_port;
  int poweroff_reboot; /* banger.poweroff=reboot */
  char work[64];   /* work disk device to mount on /root; "" = none */
};

/* Parses a kernel command line string. Unknown parameters are ignored. */
void bootcfg_parse(struct bootcfg *c, const char *cmdline);
/* Reads and parses a command-line file (default /proc/cmdline); -1 if unreadable. */
int bootcfg_load(struct bootcfg *c, const char *path);

#endif
