#include "CMallocCounter.h"
#include <stddef.h>
#include <stdlib.h>
#include <errno.h>

// Under AddressSanitizer or ThreadSanitizer (make sanitize) the sanitizer's runtime owns malloc:
// interposing it here would hand its pointers to glibc's free (and hide every heap access from the
// sanitizer). There the counter listens to the sanitizer's allocation hooks instead, which see
// the same calls on the same thread (a realloc that moves counts as an allocation and a free).
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define EDGE_MALLOC_COUNTER_HOOKS 1
#endif
#endif

#ifdef EDGE_MALLOC_COUNTER_HOOKS
#include <sanitizer/allocator_interface.h>
#define USABLE_SIZE(p) __sanitizer_get_allocated_size(p)
#else
#include <malloc.h>
#define USABLE_SIZE(p) malloc_usable_size(p)
// glibc's real allocator entry points: calling them avoids dlsym (which itself allocates).
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
#endif

static __thread int counting;
static __thread edge_malloc_counts counts;
// Set by every thread's allocations (relaxed atomics: ThreadSanitizer reported the plain
// volatile int as the data race it was).
static int interposed;

void edge_malloc_counter_start(void) {
    edge_malloc_counts zero = {0, 0, 0, 0, 0};
    counts = zero;
    counting = 1;
}

edge_malloc_counts edge_malloc_counter_stop(void) {
    counting = 0;
    return counts;
}

int edge_malloc_counter_is_active(void) {
    __atomic_store_n(&interposed, 0, __ATOMIC_RELAXED);
    // Through volatile pointers, so the compiler cannot elide the malloc/free pair.
    void *(*volatile m)(size_t) = malloc;
    void (*volatile f)(void *) = free;
    f(m(1));
    return __atomic_load_n(&interposed, __ATOMIC_RELAXED);
}

static inline void count_alloc(size_t n) {
    __atomic_store_n(&interposed, 1, __ATOMIC_RELAXED);
    if (counting) { counts.allocations++; counts.bytes += n; }
}

// The block's usable size joins (or leaves) this thread's live count while counting.
static inline void *count_live(void *p) {
    if (p != NULL && counting) counts.live += (int64_t)USABLE_SIZE(p);
    return p;
}

static inline void count_release(void *p) {
    if (p != NULL && counting) { counts.frees++; counts.live -= (int64_t)USABLE_SIZE(p); }
}

#ifdef EDGE_MALLOC_COUNTER_HOOKS
static void on_malloc(const volatile void *p, size_t n) {
    count_alloc(n);
    if (p != NULL && counting) counts.live += (int64_t)USABLE_SIZE((const void *)p);
}
static void on_free(const volatile void *p) { count_release((void *)p); }

__attribute__((constructor)) static void install_hooks(void) {
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
void *malloc(size_t n) { count_alloc(n); return count_live(__libc_malloc(n)); }

void *calloc(size_t n, size_t size) { count_alloc(n * size); return count_live(__libc_calloc(n, size)); }

void *realloc(void *p, size_t n) {
    if (p == NULL) count_alloc(n);
    else if (counting) { counts.reallocations++; counts.bytes += n; counts.live -= (int64_t)USABLE_SIZE(p); }
    void *q = __libc_realloc(p, n);
    if (q == NULL && p != NULL && n != 0) count_live(p);  // failed: p is still held
    return count_live(q);
}

void free(void *p) {
    count_release(p);
    __libc_free(p);
}

int posix_memalign(void **out, size_t alignment, size_t n) {
    count_alloc(n);
    void *p = count_live(__libc_memalign(alignment, n));
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t n) { count_alloc(n); return count_live(__libc_memalign(alignment, n)); }

void *memalign(size_t alignment, size_t n) { count_alloc(n); return count_live(__libc_memalign(alignment, n)); }
#endif
