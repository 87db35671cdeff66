// libmodbus, as Debian's libmodbus-dev (host) or the cross-built static library (firmware)
// installs it: <modbus/modbus.h>. Compound macros (EMBX*) are exposed by CShim.
#include <modbus/modbus.h>
