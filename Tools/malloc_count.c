// Allocation counting for a running `edge-agent`, every thread of it, in one of two builds:
//
// - host (glibc): an LD_PRELOAD library that interposes malloc, calloc, realloc, free,
//   posix_memalign, aligned_alloc, memalign, valloc and pvalloc and forwards them to glibc's
//   __libc_* entry points:
//     cc -shared -fPIC -O2 -o libmalloccount.so Tools/malloc_count.c
//     EDGE_MALLOC_COUNT_FILE=/tmp/counts LD_PRELOAD=./libmalloccount.so edge-agent run --config ...
// - firmware (static musl): compiled with -DEDGE_MALLOC_COUNT_WRAP and linked into a counting
//   variant of the firmware with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,
//   --wrap=posix_memalign,--wrap=aligned_alloc (the link of Tools/firmware-bench); run it under
//   qemu-user with EDGE_MALLOC_COUNT_FILE set (qemu passes the environment to the guest, and the
//   guest's shared mapping of the file is the host's).
//
// Tests/AgentTests/AgentRunAllocationTests.swift uses it to prove that the binary's steady state
// allocates nothing over a minute of running (the in-process tests only see the loop's thread).
//
// The counters live in EDGE_MALLOC_COUNT_FILE (created, 4 KiB, mapped shared), so another process
// reads them at any moment without stopping the agent. Layout: little-endian uint64 words
//   [0] magic 0x45444745434e5431 ("EDGECNT1")  [1] allocations  [2] reallocations (of a block)
//   [3] frees  [4] bytes requested  [5] arm: written by the reader  [6] stacks written
//   [7] heap in use  [8] its high-water mark (bytes: malloc_usable_size of the live blocks)
// Host build: once the reader sets word 5 to a non-zero value, the stacks of the next 32
// allocations (any thread) are written with backtrace_symbols_fd to EDGE_MALLOC_TRACE_FILE, if
// set: what to fix. Without EDGE_MALLOC_COUNT_FILE it counts into its own memory and is otherwise
// inert. Test and diagnosis tool only: never part of the shipped agent.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

enum { MAGIC, ALLOCATIONS, REALLOCATIONS, FREES, BYTES, ARM, STACKS, IN_USE, PEAK, WORDS = 512 };

static uint64_t fallback[WORDS];
static uint64_t *volatile words = fallback;

static void add(int word, uint64_t n) { __atomic_fetch_add(&words[word], n, __ATOMIC_RELAXED); }

static void gained(void *p) {
    if (p == NULL) return;
    uint64_t now = __atomic_add_fetch(&words[IN_USE], malloc_usable_size(p), __ATOMIC_RELAXED);
    uint64_t peak = __atomic_load_n(&words[PEAK], __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&words[PEAK], &peak, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
}

static void lost(void *p) {
    if (p != NULL) __atomic_fetch_sub(&words[IN_USE], malloc_usable_size(p), __ATOMIC_RELAXED);
}

static void open_trace(void);
static void trace_stack(void);

__attribute__((constructor)) static void edge_malloc_count_setup(void) {
    const char *path = getenv("EDGE_MALLOC_COUNT_FILE");
    if (path != NULL && path[0] != 0) {
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            if (ftruncate(fd, WORDS * sizeof(uint64_t)) == 0) {
                void *m = mmap(NULL, WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                if (m != MAP_FAILED) {
                    uint64_t *w = m;
                    for (int i = 1; i < WORDS; i++) w[i] = fallback[i];
                    __atomic_store_n(&w[MAGIC], 0x45444745434e5431ULL, __ATOMIC_RELEASE);
                    words = w;
                }
            }
            close(fd);
        }
    }
    open_trace();
}

static void counted(size_t n) {
    add(ALLOCATIONS, 1);
    add(BYTES, n);
    trace_stack();
}

static void reallocated(void *old, size_t n) {
    if (old == NULL) { counted(n); return; }
    add(REALLOCATIONS, 1);
    add(BYTES, n);
    trace_stack();
}

#ifndef EDGE_MALLOC_COUNT_WRAP
// --- host: interposed over glibc ---------------------------------------------------------------
#include <execinfo.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

enum { STACK_LIMIT = 32 };
static int trace_fd = -1;
// initial-exec: a preloaded library's TLS is static, and the general model may call malloc.
static __thread int tracing __attribute__((tls_model("initial-exec")));

static void open_trace(void) {
    const char *trace = getenv("EDGE_MALLOC_TRACE_FILE");
    if (trace != NULL && trace[0] != 0) trace_fd = open(trace, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static void trace_stack(void) {
    if (trace_fd < 0 || tracing || __atomic_load_n(&words[ARM], __ATOMIC_RELAXED) == 0) return;
    if (__atomic_fetch_add(&words[STACKS], 1, __ATOMIC_RELAXED) >= STACK_LIMIT) return;
    tracing = 1;   // backtrace() may allocate the first time (it loads the unwinder)
    void *frames[48];
    int n = backtrace(frames, 48);
    static const char separator[] = "----\n";
    if (write(trace_fd, separator, sizeof separator - 1) > 0) backtrace_symbols_fd(frames, n, trace_fd);
    tracing = 0;
}

static void *kept(void *p) { gained(p); return p; }

void *malloc(size_t n) { counted(n); return kept(__libc_malloc(n)); }

void *calloc(size_t n, size_t size) { counted(n * size); return kept(__libc_calloc(n, size)); }

void *realloc(void *old, size_t n) {
    reallocated(old, n);
    size_t before = old != NULL ? malloc_usable_size(old) : 0;
    void *p = __libc_realloc(old, n);
    if (p == NULL && n != 0) return NULL;   // the old block is still there
    __atomic_fetch_sub(&words[IN_USE], before, __ATOMIC_RELAXED);
    return kept(p);
}

void free(void *p) {
    if (p != NULL) add(FREES, 1);
    lost(p);
    __libc_free(p);
}

int posix_memalign(void **out, size_t alignment, size_t n) {
    counted(n);
    void *p = __libc_memalign(alignment, n);
    if (p == NULL) return ENOMEM;
    *out = kept(p);
    return 0;
}

void *aligned_alloc(size_t alignment, size_t n) { counted(n); return kept(__libc_memalign(alignment, n)); }

void *memalign(size_t alignment, size_t n) { counted(n); return kept(__libc_memalign(alignment, n)); }

void *valloc(size_t n) { counted(n); return kept(__libc_memalign((size_t)sysconf(_SC_PAGESIZE), n)); }

void *pvalloc(size_t n) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    counted(n);
    return kept(__libc_memalign(page, (n + page - 1) / page * page));
}

#else
// --- firmware: linked with --wrap over musl ----------------------------------------------------
// musl's calloc, realloc and aligned_alloc may call malloc/free themselves (through the wrapped
// symbols): a per-thread depth makes only the outermost call count.
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void __real_free(void *);
int __real_posix_memalign(void **, size_t, size_t);
void *__real_aligned_alloc(size_t, size_t);

static __thread int depth;

static void open_trace(void) {}
static void trace_stack(void) {}

void *__wrap_malloc(size_t n) {
    if (depth) return __real_malloc(n);
    counted(n);
    depth++; void *p = __real_malloc(n); depth--;
    gained(p);
    return p;
}

void *__wrap_calloc(size_t m, size_t n) {
    if (depth) return __real_calloc(m, n);
    counted(m * n);
    depth++; void *p = __real_calloc(m, n); depth--;
    gained(p);
    return p;
}

void *__wrap_realloc(void *old, size_t n) {
    if (depth) return __real_realloc(old, n);
    reallocated(old, n);
    size_t before = old != NULL ? malloc_usable_size(old) : 0;
    depth++; void *p = __real_realloc(old, n); depth--;
    if (p == NULL && n != 0) return NULL;   // the old block is still there
    __atomic_fetch_sub(&words[IN_USE], before, __ATOMIC_RELAXED);
    gained(p);
    return p;
}

void __wrap_free(void *p) {
    if (depth) { __real_free(p); return; }
    if (p != NULL) add(FREES, 1);
    lost(p);
    depth++; __real_free(p); depth--;
}

int __wrap_posix_memalign(void **out, size_t alignment, size_t n) {
    if (depth) return __real_posix_memalign(out, alignment, n);
    counted(n);
    depth++; int rc = __real_posix_memalign(out, alignment, n); depth--;
    if (rc == 0) gained(*out);
    return rc;
}

void *__wrap_aligned_alloc(size_t alignment, size_t n) {
    if (depth) return __real_aligned_alloc(alignment, n);
    counted(n);
    depth++; void *p = __real_aligned_alloc(alignment, n); depth--;
    gained(p);
    return p;
}
#endif
