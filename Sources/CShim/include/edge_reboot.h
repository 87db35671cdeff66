#ifndef EDGE_REBOOT_H
#define EDGE_REBOOT_H

/// Restarts the machine as `reboot -f` does: sync(2), then reboot(2) with RB_AUTOBOOT (the
/// bootloader then picks the slot). Returns only on failure: -1 with errno set (EPERM without
/// CAP_SYS_BOOT). Used by the OTA module after activating a slot on real boards.
int edge_reboot_system(void);

#endif
