// Heap bytes in use by the whole process (glibc mallinfo2().uordblks), for benchmarks that
// report the RAM one connection holds as the difference of two reads. Not in the module's
// umbrella header (CMallocCounter.h belongs to the harness): Swift declares it with
// @_silgen_name (no arguments, an integer result: the same in the C and Swift conventions).
#include <malloc.h>
#include <stddef.h>

size_t edge_heap_in_use(void);
size_t edge_heap_in_use(void) { return mallinfo2().uordblks; }
