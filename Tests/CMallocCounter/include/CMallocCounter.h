// Counts heap allocations made by the calling thread, for tests and benchmarks that prove "the
// steady state allocates nothing". Linked only into test and benchmark binaries: it defines
// malloc, calloc, realloc, free, posix_memalign, aligned_alloc and memalign, which interpose
// glibc's for the whole process and forward to glibc's __libc_* implementations.
#ifndef EDGE_MALLOC_COUNTER_H
#define EDGE_MALLOC_COUNTER_H
#include <stdint.h>

typedef struct {
    uint64_t allocations;  // malloc, calloc, posix_memalign, aligned_alloc, memalign, realloc(NULL, n)
    uint64_t reallocations; // realloc of an existing block
    uint64_t frees;         // free of a non-NULL pointer
    uint64_t bytes;         // bytes requested by all of the above
    int64_t live;           // usable bytes allocated minus usable bytes freed on this thread:
                            // what the counted code still holds (its blocks with malloc's rounding)
} edge_malloc_counts;

/// Starts counting on this thread, from zero.
void edge_malloc_counter_start(void);
/// Stops counting on this thread and returns what was counted since start.
edge_malloc_counts edge_malloc_counter_stop(void);
/// 1 when the interposed malloc is the one the process uses (a self-check for the harness).
int edge_malloc_counter_is_active(void);

#endif
