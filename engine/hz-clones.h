/* HZ_X86_64_V3_CLONES marks a function worth a second copy for x86-64-v3
 * (AVX2, FMA), chosen at load time where the CPU has them: the x86-64
 * build's baseline is SSE2; HZ_X86_64_V4_CLONES a third for x86-64-v4
 * (AVX-512), for loops the compiler vectorises 16 floats wide. Not under ThreadSanitizer, whose runtime is not
 * up yet when the loader runs the copies' resolvers (the program crashes). */
#ifndef HZ_CLONES_H
#define HZ_CLONES_H

#if defined (__x86_64__) && defined (__GNUC__) && !defined (__clang__) \
    && !defined (__SANITIZE_THREAD__)
#define HZ_X86_64_V3_CLONES __attribute__ ((target_clones ("arch=x86-64-v3", "default")))
#define HZ_X86_64_V4_CLONES \
  __attribute__ ((target_clones ("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HZ_X86_64_V3_CLONES
#define HZ_X86_64_V4_CLONES
#endif

#endif
