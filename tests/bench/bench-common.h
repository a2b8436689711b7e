/* Helpers shared by the benchmarks in tests/bench. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

/* The median of n values; sorts them in place. */
double bench_median (double *values,
                     int     n);

#endif
