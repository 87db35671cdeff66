// The host build's identity (CShim.h, "The binary's identity"). Empty in the firmware, which
// links the identity firmware.mk generates for each output (version, revision, board, OTA key),
// so that a change of them is only a relink.
#ifndef EDGE_FIRMWARE
#include "CShim.h"

#ifndef EDGE_GIT_REVISION
#define EDGE_GIT_REVISION "unknown"
#endif
const char *edge_build_revision(void) { return EDGE_GIT_REVISION; }

// The host build has no OTA key: `ota` takes one with --key, `run` with --ota-key.
const unsigned char *edge_trusted_firmware_key(size_t *count) {
    *count = 0;
    return 0;
}
#endif
