/* The host <-> guest contract, mirrored from src/api/guest.ts.
 * tests/unit/guest/contract.test.ts parses this file and checks the values are equal. */
#ifndef BANGER_CONTRACT_H
#define BANGER_CONTRACT_H

#define AGENT_GUEST_PATH "/usr/local/bin/banger-agent"
#define AGENT_VSOCK_PORT 10240
#define AGENT_SERIAL_NAME "banger.agent"

#define CMDLINE_IP "banger.ip"
#define CMDLINE_GATEWAY "banger.gw"
#define CMDLINE_DNS "banger.dns"
#define CMDLINE_HOSTNAME "banger.hostname"
#define CMDLINE_INIT "banger.init"
#define CMDLINE_VSOCK_PORT "banger.vsock_port"
#define CMDLINE_POWEROFF "banger.poweroff"
#define CMDLINE_WORK "banger.work"

#define GUEST_LIB_DIR "/usr/local/lib/banger"

#endif
