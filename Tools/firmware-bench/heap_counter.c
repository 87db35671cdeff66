// Heap accounting for firmware benchmarks (Tools/firmware-bench): the firmware-bench link wraps
// musl's allocator (-Wl,--wrap=malloc,...) with these functions, which keep the bytes in use
// (malloc_usable_size of every live block, i.e. what the allocator really hands out) and their
// high-water mark. musl's calloc/realloc may call malloc/free themselves: a depth counter makes
// only the outermost call count. Single-threaded benchmarks only (plain counters).
#include <stddef.h>
#include <errno.h>
#include <malloc.h>

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void __real_free(void *);
int __real_posix_memalign(void **, size_t, size_t);
void *__real_aligned_alloc(size_t, size_t);

static size_t in_use, peak;
static int depth;

size_t edge_bench_heap_in_use(void);
size_t edge_bench_heap_peak(void);
void edge_bench_heap_reset_peak(void);
size_t edge_bench_heap_in_use(void) { return in_use; }
size_t edge_bench_heap_peak(void) { return peak; }
void edge_bench_heap_reset_peak(void) { peak = in_use; }

static void added(void *p) {
    if (p == NULL) return;
    in_use += malloc_usable_size(p);
    if (in_use > peak) peak = in_use;
}
static void removed(void *p) {
    if (p != NULL) in_use -= malloc_usable_size(p);
}

void *__wrap_malloc(size_t n) {
    if (depth) return __real_malloc(n);
    depth++; void *p = __real_malloc(n); depth--;
    added(p);
    return p;
}
void *__wrap_calloc(size_t m, size_t n) {
    if (depth) return __real_calloc(m, n);
    depth++; void *p = __real_calloc(m, n); depth--;
    added(p);
    return p;
}
void *__wrap_realloc(void *old, size_t n) {
    if (depth) return __real_realloc(old, n);
    size_t before = old ? malloc_usable_size(old) : 0;
    depth++; void *p = __real_realloc(old, n); depth--;
    if (p == NULL) return NULL; // the old block is still there (or n was 0 and it is gone: rare)
    in_use -= before;
    added(p);
    return p;
}
void __wrap_free(void *p) {
    if (depth) { __real_free(p); return; }
    removed(p);
    depth++; __real_free(p); depth--;
}
int __wrap_posix_memalign(void **out, size_t alignment, size_t n) {
    if (depth) return __real_posix_memalign(out, alignment, n);
    depth++; int rc = __real_posix_memalign(out, alignment, n); depth--;
    if (rc == 0) added(*out);
    return rc;
}
void *__wrap_aligned_alloc(size_t alignment, size_t n) {
    if (depth) return __real_aligned_alloc(alignment, n);
    depth++; void *p = __real_aligned_alloc(alignment, n); depth--;
    added(p);
    return p;
}
