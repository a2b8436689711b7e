#include "hz-blis.h"

#include <blis.h>

static gpointer
init_once (gpointer data)
{
  (void) data;
  bli_init ();
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
  rntm_t rntm = BLIS_RNTM_INITIALIZER;

  hz_blis_init ();
  bli_rntm_set_num_threads (n_threads > 0 ? n_threads : hz_default_threads (), &rntm);
  bli_sgemm_ex (BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k,
                &one, (float *) a, lda, 1, (float *) b, ldb, 1,
                &beta, c, ldc, 1, NULL, &rntm);
}
