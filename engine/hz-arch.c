/* The architecture's tensor table: every tensor of UNetTileSENorm's state_dict
 * (weights/ssh_model.py) but num_batches_tracked, in state_dict order, at any
 * of the widths HZ_ARCH_WIDTHS. The table is written at the authors' width;
 * C (n) marks a channel count, which scales with the width (n * width / 32),
 * while RGB's 3 and the kernel sizes do not. */
#include "hz-net.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <inttypes.h>

#define ARCH_NAME "ssh-unet-tile-se-norm"

#define C(n) (-(n))
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
  ENC (1, 3, C (32)),
  ENC (2, C (32), C (64)),
  ENC (3, C (64), C (128)),
  ENC (4, C (128), C (256)),
  ENC (5, C (256), C (512)),
  LINEAR ("se_1.fc.0", C (128), C (512)),
  LINEAR ("se_1.fc.2", C (512), C (128)),
  STYLE_BLOCK (0, C (32), 3, 7),
  STYLE_BLOCK (1, C (64), C (32), 3),
  STYLE_BLOCK (2, C (128), C (64), 3),
  STYLE_BLOCK (3, C (256), C (128), 3),
  STYLE_BLOCK (4, C (512), C (256), 3),
  LINEAR ("style_encoder.se.fc.0", C (128), C (512)),
  LINEAR ("style_encoder.se.fc.2", C (512), C (128)),
  CONV ("content_style_conv", C (512), C (1024), 3),
  DEC (5, 6, C (512), C (256)), BN ("bn6_2", C (256)),
  DEC (6, 7, C (256), C (128)), BN ("bn7_2", C (128)),
  DEC (7, 8, C (128), C (64)),  BN ("bn8_2", C (64)),
  DEC (8, 9, C (64), C (32)),   /* the last block has no bn9_2 */
  CONV ("conv10", 3, C (32), 1),
};

static const int widths[] = { HZ_ARCH_WIDTHS };
/* "4, 8, 16, 32": G_STRINGIFY takes one argument, the list is several. */
#define STRINGIFY_LIST(...) STRINGIFY_LIST_ (__VA_ARGS__)
#define STRINGIFY_LIST_(...) #__VA_ARGS__
#define WIDTHS_TEXT STRINGIFY_LIST (HZ_ARCH_WIDTHS)

static int
width_index (int width)
{
  for (guint i = 0; i < G_N_ELEMENTS (widths); i++)
    if (widths[i] == width)
      return (int) i;
  return -1;
}

gboolean
hz_arch_width_ok (int width)
{
  return width_index (width) >= 0;
}

const HzArchTensor *
hz_arch_tensors (int    width,
                 guint *n)
{
  static HzArchTensor tables[G_N_ELEMENTS (widths)][G_N_ELEMENTS (arch)];
  static gsize made;
  int w = width_index (width);

  g_return_val_if_fail (w >= 0, NULL);
  if (g_once_init_enter (&made))
    {
      for (guint t = 0; t < G_N_ELEMENTS (widths); t++)
        for (guint i = 0; i < G_N_ELEMENTS (arch); i++)
          {
            tables[t][i] = arch[i];
            for (int d = 0; d < arch[i].ndim; d++)
              if (arch[i].shape[d] < 0)
                tables[t][i].shape[d] = -arch[i].shape[d] * widths[t] / HZ_ARCH_FULL_WIDTH;
          }
      g_once_init_leave (&made, 1);
    }
  *n = G_N_ELEMENTS (arch);
  return tables[w];
}

gboolean
hz_arch_width (const HzWeights *weights,
               int             *width,
               GError         **error)
{
  const char *source = hz_weights_source (weights);
  const char *meta = hz_weights_meta (weights, "width");
  const HzTensor *first = hz_weights_lookup (weights, "conv1_1.weight");
  gint64 w = 0;

  /* Files without the key (such as hz_weights_write's) have the width of
   * their first conv; the table check then holds every tensor to it. */
  if (!meta && (!first || first->ndim != 4))
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS, _("%s: tensor 'conv1_1.weight' is missing"), source);
      return FALSE;
    }
  if (meta ? !g_ascii_string_to_signed (meta, 10, 1, HZ_ARCH_FULL_WIDTH, &w, NULL)
           : (w = first->shape[0]) > HZ_ARCH_FULL_WIDTH)
    w = -1;
  if (!hz_arch_width_ok ((int) w))
    {
      if (meta)
        g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS,
                     _("%s: the network width '%s' is not one this engine runs (%s)"),
                     source, meta, WIDTHS_TEXT);
      else
        g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS,
                     _("%s: conv1_1 has %" PRId64 " output channels, not a network width "
                       "this engine runs (%s)"), source, first->shape[0], WIDTHS_TEXT);
      return FALSE;
    }
  *width = (int) w;
  return TRUE;
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
               int             *width_out,
               GError         **error)
{
  const char *source = hz_weights_source (weights);
  const char *name = hz_weights_meta (weights, "architecture");
  guint       n = hz_weights_n_tensors (weights), n_arch;
  const HzArchTensor *table;
  int         width;

  /* Files without the key (such as hz_weights_write's) are judged by their tensors. */
  if (name && strcmp (name, ARCH_NAME) != 0)
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS,
                   _("%s: made for the architecture '%s', not %s"), source, name, ARCH_NAME);
      return FALSE;
    }
  if (!hz_arch_width (weights, &width, error))
    return FALSE;
  table = hz_arch_tensors (width, &n_arch);
  for (guint i = 0; i < n_arch; i++)
    {
      const HzArchTensor *a = &table[i];
      const HzTensor     *t = hz_weights_lookup (weights, a->name);

      if (!t)
        {
          g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS, _("%s: tensor '%s' is missing"), source, a->name);
          return FALSE;
        }
      if (t->ndim != a->ndim || memcmp (t->shape, a->shape, a->ndim * sizeof (int64_t)) != 0)
        {
          char *got = shape_string (t->ndim, t->shape);
          char *want = shape_string (a->ndim, a->shape);

          g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS,
                       _("%s: tensor '%s' has shape %s, expected %s for width %d"),
                       source, a->name, got, want, width);
          g_free (got);
          g_free (want);
          return FALSE;
        }
    }
  /* Names are unique and all of the table's are there: any more are unknown. */
  for (guint i = 0; n > n_arch && i < n; i++)
    {
      const char *extra = hz_weights_nth (weights, i)->name;

      if (!in_arch (extra))
        {
          g_set_error (error, HZ_ERROR, HZ_ERROR_WEIGHTS,
                       _("%s: unexpected tensor '%s' (not part of %s)"), source, extra, ARCH_NAME);
          return FALSE;
        }
    }
  if (width_out)
    *width_out = width;
  return TRUE;
}
