#include <unistd.h>
#include <sys/reboot.h>
#include "edge_reboot.h"

int edge_reboot_system(void) {
    sync();
    return reboot(RB_AUTOBOOT);
}
