/*
 * membw: main-memory bandwidth with a given number of threads, for scripts/bench-parity.sh.
 *
 *   membw THREADS [MIB] [ROUNDS]
 *
 * Each round allocates fresh buffers of MIB MiB (default 1024, far larger than any cache here),
 * touches them, and times the best of three passes of:
 *   read:  reading every byte once (a sum), the access pattern of a decode step, which streams
 *          every weight through the cores once per token;
 *   copy:  a memcpy-like copy, counting the bytes read plus the bytes written (STREAM's convention).
 * Fresh buffers per round because on virtual machines the bandwidth depends on which physical
 * memory a process gets, and a model's weights are placed just as much by chance.
 * Prints the median and the best round, GB = 1e9 bytes:
 *   read_gbs=...  read_gbs_max=...  copy_gbs=...  copy_gbs_max=...
 * Each thread works on its own contiguous slice, the way ggml splits the rows of a matrix
 * between threads, and touches its slice first so the pages sit near it.
 */
#define _POSIX_C_SOURCE 200809L
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PASSES 3
#define MAX_ROUNDS 100

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* The slice [*begin, *end) of n items that thread `t` of `n_threads` owns. */
static void slice(size_t n, int t, int n_threads, size_t *begin, size_t *end) {
    *begin = n * (size_t) t / (size_t) n_threads;
    *end = n * (size_t) (t + 1) / (size_t) n_threads;
}

/* Sums a slice with eight independent accumulators so the loop is bound by loads, not adds. */
static uint64_t sum_slice(const uint64_t *p, size_t n) {
    uint64_t acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; k++) {
            acc[k] += p[i + k];
        }
    }
    for (; i < n; i++) {
        acc[0] += p[i];
    }
    uint64_t total = 0;
    for (int k = 0; k < 8; k++) {
        total += acc[k];
    }
    return total;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t) n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s THREADS [MIB] [ROUNDS]\n", argv[0]);
        return 2;
    }
    const int n_threads = atoi(argv[1]);
    const size_t mib = argc > 2 ? (size_t) atol(argv[2]) : 1024;
    const int rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (n_threads < 1 || mib < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "membw: THREADS and MIB must be positive, ROUNDS 1 to %d\n", MAX_ROUNDS);
        return 2;
    }

    const size_t bytes = mib << 20;
    const size_t n = bytes / sizeof(uint64_t);
    omp_set_dynamic(0);
    omp_set_num_threads(n_threads);

    double read_gbs[MAX_ROUNDS], copy_gbs[MAX_ROUNDS];
    uint64_t checksum = 0;
    for (int r = 0; r < rounds; r++) {
        uint64_t *src = NULL;
        uint64_t *dst = NULL;
        if (posix_memalign((void **) &src, 4096, bytes) != 0 || posix_memalign((void **) &dst, 4096, bytes) != 0) {
            fprintf(stderr, "membw: cannot allocate 2 x %zu MiB\n", mib);
            return 1;
        }
#pragma omp parallel
        {
            size_t b, e;
            slice(n, omp_get_thread_num(), omp_get_num_threads(), &b, &e);
            for (size_t i = b; i < e; i++) {
                src[i] = i;
            }
            memset(dst + b, 0, (e - b) * sizeof(uint64_t));
        }

        double best_read = 1e30, best_copy = 1e30;
        for (int pass = 0; pass < PASSES; pass++) {
            uint64_t total = 0;
            double t0 = now_s();
#pragma omp parallel reduction(+ : total)
            {
                size_t b, e;
                slice(n, omp_get_thread_num(), omp_get_num_threads(), &b, &e);
                total += sum_slice(src + b, e - b);
            }
            double t1 = now_s();
#pragma omp parallel
            {
                size_t b, e;
                slice(n, omp_get_thread_num(), omp_get_num_threads(), &b, &e);
                memcpy(dst + b, src + b, (e - b) * sizeof(uint64_t));
            }
            double t2 = now_s();
            checksum += total + dst[(size_t) pass * 4099 % n];
            if (t1 - t0 < best_read) best_read = t1 - t0;
            if (t2 - t1 < best_copy) best_copy = t2 - t1;
        }
        read_gbs[r] = (double) bytes / best_read * 1e-9;
        copy_gbs[r] = 2.0 * (double) bytes / best_copy * 1e-9;
        free(src);
        free(dst);
    }

    /* Using the sums and the copy keeps the compiler from dropping either loop. */
    volatile uint64_t sink = checksum;
    (void) sink;

    double read_max = 0, copy_max = 0;
    for (int r = 0; r < rounds; r++) {
        if (read_gbs[r] > read_max) read_max = read_gbs[r];
        if (copy_gbs[r] > copy_max) copy_max = copy_gbs[r];
    }
    printf("read_gbs=%.2f\n", median(read_gbs, rounds));
    printf("read_gbs_max=%.2f\n", read_max);
    printf("copy_gbs=%.2f\n", median(copy_gbs, rounds));
    printf("copy_gbs_max=%.2f\n", copy_max);
    return 0;
}
