/* The engine's one door to BLIS. */
#ifndef HZ_BLIS_H
#define HZ_BLIS_H

#include "harmonize.h"

/* Makes BLIS use its optimized kernels on this CPU (see hz-blis.c for why
 * that needs help). Idempotent, but it briefly sets BLIS_ARCH_TYPE in the
 * environment: call it (through hz_init) before the program starts threads.
 * hz_sgemm does not call it, so that no call from a worker thread ever
 * touches the environment. */
void        hz_blis_init        (void);

/* Name of the kernel configuration BLIS chose (e.g. "skx", "haswell",
 * "generic"); calls hz_blis_init first. */
const char *hz_blis_arch_name   (void);

/* BLIS's version, e.g. "1.1". */
const char *hz_blis_version     (void);

/* Threads a call uses when asked for 0: every core. */
int         hz_default_threads  (void);

/* hz_parallel_for: harmonize.h. */

/* C (m x n) = A (m x k) . B (k x n), plus C when accumulate; row-major with
 * leading dimensions lda, ldb, ldc. n_threads 0 = hz_default_threads(). */
void        hz_sgemm            (int          m,
                                 int          n,
                                 int          k,
                                 const float *a,
                                 int          lda,
                                 const float *b,
                                 int          ldb,
                                 float       *c,
                                 int          ldc,
                                 gboolean     accumulate,
                                 int          n_threads);

/* Thread-seconds spent in hz_sgemm so far, for profiling: each call's time
 * times the threads it ran on, summed over all calls (also concurrent ones). */
double      hz_sgemm_seconds    (void);

#endif
