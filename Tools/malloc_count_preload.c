// Allocation counting for a running `edge-agent` (host, glibc): an LD_PRELOAD library that
// interposes malloc, calloc, realloc, free, posix_memalign, aligned_alloc, memalign, valloc and
// pvalloc for every thread of the process and forwards them to glibc's __libc_* entry points.
// It is how Tests/AgentTests/AgentRunAllocationTests.swift proves that the real binary's steady
// state allocates nothing over a minute of running (the in-process tests only see one thread).
//
//   cc -shared -fPIC -O2 -o libmalloccount.so Tools/malloc_count_preload.c
//   EDGE_MALLOC_COUNT_FILE=/tmp/counts LD_PRELOAD=./libmalloccount.so edge-agent run --config ...
//
// The counters live in EDGE_MALLOC_COUNT_FILE (created, 4 KiB, mapped shared), so another process
// reads them at any moment without stopping the agent. Layout: little-endian uint64 words
//   [0] magic 0x45444745434e5431 ("EDGECNT1")  [1] allocations  [2] reallocations (of a block)
//   [3] frees  [4] bytes requested  [5] arm: written by the reader  [6] stacks written
// Once the reader sets word 5 to a non-zero value, the stacks of the next 32 allocations (any
// thread) are written with backtrace_symbols_fd to EDGE_MALLOC_TRACE_FILE, if set: what to fix.
// Without EDGE_MALLOC_COUNT_FILE the library counts into its own memory and is otherwise inert.
// Test and diagnosis tool only: never linked into the agent.
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

enum { MAGIC, ALLOCATIONS, REALLOCATIONS, FREES, BYTES, ARM, STACKS, WORDS = 512 };
enum { STACK_LIMIT = 32 };

static uint64_t fallback[WORDS];
static uint64_t *volatile words = fallback;
static int trace_fd = -1;
// initial-exec: a preloaded library's TLS is static, and the general model may call malloc.
static __thread int tracing __attribute__((tls_model("initial-exec")));

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
    const char *trace = getenv("EDGE_MALLOC_TRACE_FILE");
    if (trace != NULL && trace[0] != 0) trace_fd = open(trace, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static void add(int word, uint64_t n) { __atomic_fetch_add(&words[word], n, __ATOMIC_RELAXED); }

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

static void counted(size_t n) {
    add(ALLOCATIONS, 1);
    add(BYTES, n);
    trace_stack();
}

void *malloc(size_t n) { counted(n); return __libc_malloc(n); }

void *calloc(size_t n, size_t size) { counted(n * size); return __libc_calloc(n, size); }

void *realloc(void *p, size_t n) {
    if (p == NULL) counted(n);
    else { add(REALLOCATIONS, 1); add(BYTES, n); trace_stack(); }
    return __libc_realloc(p, n);
}

void free(void *p) {
    if (p != NULL) add(FREES, 1);
    __libc_free(p);
}

int posix_memalign(void **out, size_t alignment, size_t n) {
    counted(n);
    void *p = __libc_memalign(alignment, n);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t n) { counted(n); return __libc_memalign(alignment, n); }

void *memalign(size_t alignment, size_t n) { counted(n); return __libc_memalign(alignment, n); }

void *valloc(size_t n) { counted(n); return __libc_memalign((size_t)sysconf(_SC_PAGESIZE), n); }

void *pvalloc(size_t n) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    counted(n);
    return __libc_memalign(page, (n + page - 1) / page * page);
}
