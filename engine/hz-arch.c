/* The architecture's tensor table: every tensor of UNetTileSENorm's state_dict
 * (weights/ssh_model.py) but num_batches_tracked, in state_dict order. */
#include "hz-net.h"

#include <string.h>

#define ARCH_NAME "ssh-unet-tile-se-norm"

#define CONV(n, cout, cin, k) \
  { n ".weight", 4, { cout, cin, k, k } }, { n ".bias", 1, { cout } }
#define LINEAR(n, cout, cin) \
  { n ".weight", 2, { cout, cin } }, { n ".bias", 1, { cout } }
#define BN(n, c) \
  { n ".weight", 1, { c } }, { n ".bias", 1, { c } }, \
  { n ".running_mean", 1, { c } }, { n ".running_var", 1, { c } }
/* Conv2dBlock of the style encoder: its norm comes before its conv. */
#define STYLE_BLOCK(i, cout, cin, k) \
  BN ("style_encoder.model." #i ".norm", cout), \
  CONV ("style_encoder.model." #i ".conv", cout, cin, k)
#define ENC(i, cin, cout) \
  CONV ("conv" #i "_1", cout, cin, 3), BN ("bn" #i "_1", cout), \
  CONV ("conv" #i "_2", cout, cout, 3), BN ("bn" #i "_2", cout)
#define DEC(d, i, cin, cout) \
  CONV ("deconv" #d, cout, cin, 3), \
  CONV ("conv" #i "_1", cout, cin, 3), BN ("bn" #i "_1", cout), \
  CONV ("conv" #i "_2", cout, cout, 3)

static const HzArchTensor arch[] =
{
  ENC (1, 3, 32),
  ENC (2, 32, 64),
  ENC (3, 64, 128),
  ENC (4, 128, 256),
  ENC (5, 256, 512),
  LINEAR ("se_1.fc.0", 128, 512),
  LINEAR ("se_1.fc.2", 512, 128),
  STYLE_BLOCK (0, 32, 3, 7),
  STYLE_BLOCK (1, 64, 32, 3),
  STYLE_BLOCK (2, 128, 64, 3),
  STYLE_BLOCK (3, 256, 128, 3),
  STYLE_BLOCK (4, 512, 256, 3),
  LINEAR ("style_encoder.se.fc.0", 128, 512),
  LINEAR ("style_encoder.se.fc.2", 512, 128),
  CONV ("content_style_conv", 512, 1024, 3),
  DEC (5, 6, 512, 256), BN ("bn6_2", 256),
  DEC (6, 7, 256, 128), BN ("bn7_2", 128),
  DEC (7, 8, 128, 64),  BN ("bn8_2", 64),
  DEC (8, 9, 64, 32),   /* the last block has no bn9_2 */
  CONV ("conv10", 3, 32, 1),
};

const HzArchTensor *
hz_arch_tensors (guint *n)
{
  *n = G_N_ELEMENTS (arch);
  return arch;
}

static char *
shape_string (int            ndim,
              const int64_t *shape)
{
  GString *s = g_string_new ("[");

  for (int d = 0; d < ndim; d++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, d ? ", " : "", (gint64) shape[d]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static gboolean
in_arch (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (arch); i++)
    if (strcmp (arch[i].name, name) == 0)
      return TRUE;
  return FALSE;
}

gboolean
hz_arch_check (const HzWeights *weights,
               GError         **error)
{
  const char *source = hz_weights_source (weights);
  const char *name = hz_weights_meta (weights, "architecture");
  guint       n = hz_weights_n_tensors (weights);

  /* Files without the key (such as hz_weights_write's) are judged by their tensors. */
  if (name && strcmp (name, ARCH_NAME) != 0)
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS,
                   "%s: made for the architecture '%s', not " ARCH_NAME, source, name);
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (arch); i++)
    {
      const HzArchTensor *a = &arch[i];
      const HzTensor     *t = hz_weights_lookup (weights, a->name);

      if (!t)
        {
          g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS, "%s: tensor '%s' is missing", source, a->name);
          return FALSE;
        }
      if (t->ndim != a->ndim || memcmp (t->shape, a->shape, a->ndim * sizeof (int64_t)) != 0)
        {
          char *got = shape_string (t->ndim, t->shape);
          char *want = shape_string (a->ndim, a->shape);

          g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS, "%s: tensor '%s' has shape %s, expected %s",
                       source, a->name, got, want);
          g_free (got);
          g_free (want);
          return FALSE;
        }
    }
  /* Names are unique and all of the table's are there: any more are unknown. */
  for (guint i = 0; n > G_N_ELEMENTS (arch) && i < n; i++)
    {
      const char *extra = hz_weights_nth (weights, i)->name;

      if (!in_arch (extra))
        {
          g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS,
                       "%s: unexpected tensor '%s' (not part of " ARCH_NAME ")", source, extra);
          return FALSE;
        }
    }
  return TRUE;
}
