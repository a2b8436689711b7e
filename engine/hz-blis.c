/* BLIS set-up: kernel selection, and the engine's one sgemm.
 *
 * Why selection needs help: BLIS picks its kernels once per process from
 * cpuid (frame/base/bli_cpuid.c), and Debian's BLIS (0.9 in Debian 12, 1.1
 * in Debian 13) misjudges current CPUs:
 * - Intel with AVX-512 gets the AVX-512 'skx' kernels only when the brand
 *   string names a Xeon SKU it knows to have two FMA units (Platinum, some
 *   Gold, W…) or a Core; otherwise ("Intel(R) Xeon(R) Processor" under a
 *   hypervisor, newer SKUs) it falls back to the AVX2 'haswell' kernels.
 * - AMD is recognized by family only: 0x19 (Zen 3 and Zen 4) gets 'zen3'
 *   (AVX2), and 0x1A (Zen 5) or any later family gets the scalar 'generic'
 *   kernels, about five times slower.  Other vendors (Hygon, Zhaoxin) get
 *   'generic' too.
 * BLIS has no public call to choose the configuration; its one door is the
 * environment variable BLIS_ARCH_TYPE, read at the first bli_init() and
 * numeric only before BLIS 2.0 (1.1 reads "zen3" as 0, which is 'skx').  So
 * before initializing BLIS we choose from the CPU's own features, set
 * BLIS_ARCH_TYPE to the number of that configuration in this BLIS, and put
 * the environment back afterwards.  A BLIS_ARCH_TYPE of the user's own wins
 * (as a name or a number), unless it names kernels this CPU cannot run. */

#include "hz-blis.h"

#include <blis.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined (__x86_64__) && (defined (__GNUC__) || defined (__clang__))
#define HZ_BLIS_X86 1
#include <cpuid.h>
#endif

#define ARCH_ENV "BLIS_ARCH_TYPE"

static atomic_llong sgemm_us;

typedef enum
{
  NEEDS_NOTHING,
  NEEDS_SSSE3,
  NEEDS_AVX,
  NEEDS_FMA4,     /* AMD Bulldozer to Excavator */
  NEEDS_AVX2,     /* AVX2 and FMA3 */
  NEEDS_AVX512,   /* F, DQ, CD, BW and VL: what -march=skylake-avx512 may emit */
  NEEDS_KNL,      /* Xeon Phi: AVX-512 F and PF */
  NOT_COMPILED_IN
} Needs;

/* What the kernels of configuration id need of the CPU.  Asking BLIS for
 * a configuration it was built without aborts the process. */
static Needs
arch_needs (int id)
{
  switch (id)
    {
#ifdef BLIS_CONFIG_SKX
    case BLIS_ARCH_SKX: return NEEDS_AVX512;
#endif
#ifdef BLIS_CONFIG_KNL
    case BLIS_ARCH_KNL: return NEEDS_KNL;
#endif
#ifdef BLIS_CONFIG_HASWELL
    case BLIS_ARCH_HASWELL: return NEEDS_AVX2;
#endif
#ifdef BLIS_CONFIG_SANDYBRIDGE
    case BLIS_ARCH_SANDYBRIDGE: return NEEDS_AVX;
#endif
#ifdef BLIS_CONFIG_PENRYN
    case BLIS_ARCH_PENRYN: return NEEDS_SSSE3;
#endif
#ifdef BLIS_CONFIG_ZEN3
    case BLIS_ARCH_ZEN3: return NEEDS_AVX2;
#endif
#ifdef BLIS_CONFIG_ZEN2
    case BLIS_ARCH_ZEN2: return NEEDS_AVX2;
#endif
#ifdef BLIS_CONFIG_ZEN
    case BLIS_ARCH_ZEN: return NEEDS_AVX2;
#endif
#ifdef BLIS_CONFIG_EXCAVATOR
    case BLIS_ARCH_EXCAVATOR: return NEEDS_FMA4;
#endif
#ifdef BLIS_CONFIG_STEAMROLLER
    case BLIS_ARCH_STEAMROLLER: return NEEDS_FMA4;
#endif
#ifdef BLIS_CONFIG_PILEDRIVER
    case BLIS_ARCH_PILEDRIVER: return NEEDS_FMA4;
#endif
#ifdef BLIS_CONFIG_BULLDOZER
    case BLIS_ARCH_BULLDOZER: return NEEDS_FMA4;
#endif
    case BLIS_ARCH_GENERIC: return NEEDS_NOTHING;
    default:
#ifdef HZ_BLIS_X86
      return NOT_COMPILED_IN;   /* every x86-64 configuration is listed above */
#else
      return id >= 0 && id < BLIS_NUM_ARCHS ? NEEDS_NOTHING : NOT_COMPILED_IN;
#endif
    }
}

/* The id of the configuration named name (case-insensitive) in this BLIS, or -1. */
static int
arch_id (const char *name)
{
  for (int id = 0; id < BLIS_NUM_ARCHS; id++)
    if (g_ascii_strcasecmp (name, bli_arch_string ((arch_t) id)) == 0)
      return id;
  return -1;
}

#ifdef HZ_BLIS_X86
static gboolean
cpu_has_avx512 (void)
{
  return __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512dq")
         && __builtin_cpu_supports ("avx512cd") && __builtin_cpu_supports ("avx512bw")
         && __builtin_cpu_supports ("avx512vl");
}

/* Whether this CPU can run kernels that need needs.  __builtin_cpu_supports
 * also checks that the OS saves the vector registers. */
static gboolean
cpu_meets (Needs needs)
{
  unsigned int eax, ebx, ecx, edx;

  __builtin_cpu_init ();
  switch (needs)
    {
    case NEEDS_NOTHING: return TRUE;
    case NEEDS_SSSE3:   return __builtin_cpu_supports ("ssse3");
    case NEEDS_AVX:     return __builtin_cpu_supports ("avx");
    case NEEDS_FMA4:    return __builtin_cpu_supports ("avx") && __builtin_cpu_supports ("fma4");
    case NEEDS_AVX2:    return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
    case NEEDS_AVX512:  return cpu_meets (NEEDS_AVX2) && cpu_has_avx512 ();
    case NEEDS_KNL:     /* AVX512PF is CPUID.(7,0):EBX bit 26 */
      return __builtin_cpu_supports ("avx512f")
             && __get_cpuid_count (7, 0, &eax, &ebx, &ecx, &edx) && (ebx >> 26 & 1);
    case NOT_COMPILED_IN: return FALSE;
    }
  return FALSE;
}

/* Whether BLIS's own cpuid logic knows this vendor and family at all (it
 * picks 'generic' for any other, even with AVX2). */
static gboolean
blis_knows_cpu (void)
{
  unsigned int eax, ebx, ecx, edx, family;
  char vendor[13];

  if (!__get_cpuid (0, &eax, &ebx, &ecx, &edx))
    return FALSE;
  memcpy (vendor, &ebx, 4);
  memcpy (vendor + 4, &edx, 4);
  memcpy (vendor + 8, &ecx, 4);
  vendor[12] = '\0';
  if (strcmp (vendor, "GenuineIntel") == 0)
    return TRUE;
  if (strcmp (vendor, "AuthenticAMD") != 0 || !__get_cpuid (1, &eax, &ebx, &ecx, &edx))
    return FALSE;
  family = (eax >> 8) & 0xf;
  if (family == 0xf)
    family += (eax >> 20) & 0xff;
  return family <= 0x19;
}

/* The configuration to ask for when the user has not, or NULL to leave the
 * choice to BLIS. */
static const char *
best_arch (void)
{
  if (cpu_meets (NEEDS_AVX512))
    return "skx";
  if (cpu_meets (NEEDS_AVX2) && !blis_knows_cpu ())
    return "haswell";
  return NULL;
}
#else
/* Elsewhere BLIS's own choice stands, and the user's is trusted. */
static gboolean
cpu_meets (Needs needs)
{
  return needs != NOT_COMPILED_IN;
}

static const char *
best_arch (void)
{
  return NULL;
}
#endif

/* The id of the configuration the user asked for, by name or number, or -1
 * (with a warning) when this BLIS lacks it or this CPU cannot run it. */
static int
user_arch (const char *user)
{
  char *end;
  long n = strtol (user, &end, 10);
  int id = *end != '\0' ? arch_id (user) : n >= 0 && n < BLIS_NUM_ARCHS ? (int) n : -1;

  if (id < 0 || arch_needs (id) == NOT_COMPILED_IN)
    {
      g_warning ("BLIS_ARCH_TYPE=%s is not a configuration of this BLIS; ignored", user);
      return -1;
    }
  if (!cpu_meets (arch_needs (id)))
    {
      g_warning ("BLIS_ARCH_TYPE=%s: this CPU cannot run the '%s' kernels; ignored",
                 user, bli_arch_string ((arch_t) id));
      return -1;
    }
  return id;
}

/* The id to put in BLIS_ARCH_TYPE, or -1 for BLIS's own choice (which
 * BLIS_ARCH_TYPE=-1 asks for, as in BLIS 2). */
static int
choose_arch (const char *user)
{
  int id = -1;

  if (user != NULL && strcmp (user, "-1") == 0)
    return -1;
  if (user != NULL && *user != '\0')
    id = user_arch (user);
  if (id < 0 && best_arch () != NULL)
    {
      id = arch_id (best_arch ());
      if (id >= 0 && arch_needs (id) == NOT_COMPILED_IN)
        id = -1;
    }
  return id;
}

static gpointer
init_once (gpointer data)
{
  char *user = g_strdup (g_getenv (ARCH_ENV));
  int id = choose_arch (user);

  (void) data;
  if (id >= 0)
    {
      char number[16];

      g_snprintf (number, sizeof number, "%d", id);
      g_setenv (ARCH_ENV, number, TRUE);
    }
  else
    g_unsetenv (ARCH_ENV);

  bli_init ();
  /* BLIS reads the variable here, once for the process. */
  g_debug ("BLIS %s: '%s' kernels", hz_blis_version (),
           bli_arch_string (bli_arch_query_id ()));

  if (user != NULL)
    g_setenv (ARCH_ENV, user, TRUE);
  else
    g_unsetenv (ARCH_ENV);
  g_free (user);
  return NULL;
}

void
hz_blis_init (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, init_once, NULL);
}

const char *
hz_blis_arch_name (void)
{
  hz_blis_init ();
  return bli_arch_string (bli_arch_query_id ());
}

const char *
hz_blis_version (void)
{
  return bli_info_get_version_str ();
}

int
hz_default_threads (void)
{
  return (int) g_get_num_processors ();
}

void
hz_sgemm (int m, int n, int k,
          const float *a, int lda,
          const float *b, int ldb,
          float *c, int ldc,
          gboolean accumulate, int n_threads)
{
  float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  int threads = n_threads > 0 ? n_threads : hz_default_threads ();
  rntm_t rntm;
  gint64 start;

  /* From the global runtime, not BLIS_RNTM_INITIALIZER: since BLIS 1.0 that
   * one names no threading implementation, and BLIS then runs every call on
   * one thread whatever number it is given. */
  bli_rntm_init_from_global (&rntm);
  bli_rntm_set_num_threads (threads, &rntm);
  start = g_get_monotonic_time ();
  bli_sgemm_ex (BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k,
                &one, (float *) a, lda, 1, (float *) b, ldb, 1,
                &beta, c, ldc, 1, NULL, &rntm);
  atomic_fetch_add_explicit (&sgemm_us, (g_get_monotonic_time () - start) * threads,
                             memory_order_relaxed);
}

double
hz_sgemm_seconds (void)
{
  return atomic_load_explicit (&sgemm_us, memory_order_relaxed) * 1e-6;
}
