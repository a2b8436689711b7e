/* Which build of hz-kernels.c this process runs: the best the CPU has,
 * unless HARMONIZE_KERNELS names another it has (the tests run every one). */
#include "hz-kernels.h"

#include <string.h>

extern const HzKernels hz_kernels_baseline;
#ifdef HZ_KERNELS_X86
extern const HzKernels hz_kernels_v3, hz_kernels_v4;
#endif

const HzKernels *const hz_kernel_variants[] = {
#ifdef HZ_KERNELS_X86
  &hz_kernels_v4,
  &hz_kernels_v3,
#endif
  &hz_kernels_baseline,
  NULL
};

gboolean
hz_kernels_supported (const HzKernels *k)
{
#ifdef HZ_KERNELS_X86
  __builtin_cpu_init ();
  if (k == &hz_kernels_v4)
    return __builtin_cpu_supports ("x86-64-v4");
  if (k == &hz_kernels_v3)
    return __builtin_cpu_supports ("x86-64-v3");
#endif
  return k == &hz_kernels_baseline;
}

static gpointer
select_kernels (gpointer data)
{
  const char *want = g_getenv ("HARMONIZE_KERNELS");
  const HzKernels *const *k;

  (void) data;
  if (want)
    {
      for (k = hz_kernel_variants; *k; k++)
        if (strcmp ((*k)->name, want) == 0 && hz_kernels_supported (*k))
          return (gpointer) *k;
      g_message ("HARMONIZE_KERNELS=%s: not built, or not for this CPU; the best it runs instead", want);
    }
  for (k = hz_kernel_variants; *k; k++)
    if (hz_kernels_supported (*k))
      return (gpointer) *k;
  g_assert_not_reached ();
}

const HzKernels *
hz_kernels (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, select_kernels, NULL);
}
