/* The SSH network's forward pass (weights/ssh_model.py, UNetTileSENorm in
 * eval mode) on the operators of hz-ops.c.
 *
 * The net points into the weights (they must outlive it) and adds only the
 * BatchNorms folded into per-channel scales and shifts.
 *
 * Buffers, one block for all: the encoder writes each stage's output (the
 * skip) into the second half of a buffer whose first half later receives the
 * decoder's deconv output, so the decoder's concatenations cost nothing. The
 * convs at full size that write neither (the style encoder's first, the
 * encoder's and the decoder's first stage) use the buffer of the second
 * stage, free while they run (and the first stage's, for the decoder's
 * last conv): the two work buffers need only the second stage's size. The
 * style vector is never tiled: content_style_conv adds its part per tap. */
#include "hz-net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "hz-blis.h"
#include "hz-ops.h"

#define N_STAGES    5     /* encoder stages; the decoder has N_STAGES - 1 */
#define DIVIDE      16    /* the content is padded to a multiple of 2^(N_STAGES - 1) */
/* The style vector's length is 16 x width: at most this. */
#define MAX_STYLE_DIM (16 * HZ_ARCH_FULL_WIDTH)
#define BN_EPS      1e-5
/* Keeps every size computation far from overflow; no real input comes near. */
#define MAX_SIDE    16384

typedef struct
{
  const float *fc0_w, *fc0_b, *fc2_w, *fc2_b;
} HzSE;

#define WINOGRAD_MAX_COUT 256   /* see hz_net_new */
#define WINOGRAD_MIN_CHANNELS 32

struct _HzNet
{
  int     width;       /* channels of the first stage; stage i has width << i */
  int     style_dim;   /* 16 x width: the deepest stage's and the style vector's */
  HzConv  style[N_STAGES];
  HzSE    style_se;
  HzConv  enc[N_STAGES][2];
  HzSE    se_1;
  HzConv  content_style;
  HzConv  deconv[N_STAGES - 1];
  HzConv  dec[N_STAGES - 1][2];
  HzConv  conv10;
  float  *bn;     /* every BatchNorm's scale and shift */
  /* See winograd_conv: whether a conv may run as Winograd, and its
   * transformed weights for tiles of 2 and 4, made on first use under the
   * lock (make_winograd). */
  gboolean winograd_ok[2 * N_STAGES + 1 + 3 * (N_STAGES - 1)];
  float   *winograd[2 * N_STAGES + 1 + 3 * (N_STAGES - 1)][2];
  GMutex   winograd_lock;
};

struct _HzNetBuffers
{
  float *data;
  gsize  size;    /* floats */
};

static const float *
tensor (const HzWeights *weights,
        const char      *name)
{
  /* hz_arch_check has made sure it exists */
  return hz_weights_lookup (weights, name)->data;
}

/* Eval-mode BatchNorm as out = x * scale + shift, into bn[0..2c). */
static void
bn_fold (HzConv          *conv,
         const HzWeights *weights,
         const char      *prefix,
         float           *bn)
{
  char *names[4];
  const float *w, *b, *mean, *var;
  int c = conv->cout, i;

  names[0] = g_strconcat (prefix, ".weight", NULL);
  names[1] = g_strconcat (prefix, ".bias", NULL);
  names[2] = g_strconcat (prefix, ".running_mean", NULL);
  names[3] = g_strconcat (prefix, ".running_var", NULL);
  w = tensor (weights, names[0]);
  b = tensor (weights, names[1]);
  mean = tensor (weights, names[2]);
  var = tensor (weights, names[3]);
  for (i = 0; i < c; i++)
    {
      double scale = w[i] / sqrt ((double) var[i] + BN_EPS);

      bn[i] = (float) scale;
      bn[c + i] = (float) (b[i] - mean[i] * scale);
    }
  conv->scale = bn;
  conv->shift = bn + c;
  for (i = 0; i < 4; i++)
    g_free (names[i]);
}

/* The i-th 3 x 3 conv of the content encoder and decoder (Winograd or direct,
 * see hz_net_new): enc, content_style, deconv, dec. */
static HzConv *
winograd_conv (HzNet *net,
               int    i)
{
  if (i < 2 * N_STAGES)
    return &net->enc[i / 2][i % 2];
  i -= 2 * N_STAGES;
  if (i == 0)
    return &net->content_style;
  i--;
  if (i < N_STAGES - 1)
    return &net->deconv[i];
  i -= N_STAGES - 1;
  return &net->dec[i / 2][i % 2];
}

static void
conv_init (HzConv          *conv,
           const HzWeights *weights,
           const char      *name,
           int              cin,
           int              cout,
           int              k,
           HzAct            act)
{
  char *w = g_strconcat (name, ".weight", NULL);
  char *b = g_strconcat (name, ".bias", NULL);

  memset (conv, 0, sizeof *conv);
  conv->cin = cin;
  conv->cout = cout;
  conv->k = k;
  conv->stride = 1;
  conv->pad = k / 2;
  conv->pad_mode = HZ_PAD_ZERO;
  conv->act = act;
  conv->weight = tensor (weights, w);
  conv->bias = tensor (weights, b);
  g_free (w);
  g_free (b);
}

static void
se_init (HzSE            *se,
         const HzWeights *weights,
         const char      *prefix)
{
  const float **slots[4] = { &se->fc0_w, &se->fc0_b, &se->fc2_w, &se->fc2_b };
  const char *suffixes[4] = { ".fc.0.weight", ".fc.0.bias", ".fc.2.weight", ".fc.2.bias" };
  int i;

  for (i = 0; i < 4; i++)
    {
      char *name = g_strconcat (prefix, suffixes[i], NULL);

      *slots[i] = tensor (weights, name);
      g_free (name);
    }
}

/* Channels of encoder stage i (0-based): width, 2 width, …, 16 width. */
static int
stage_channels (const HzNet *net,
                int          i)
{
  return net->width << i;
}

/* Floats of every BatchNorm's scale and shift. */
static gsize
bn_floats (int width)
{
  const HzArchTensor *arch;
  gsize n = 0;
  guint count, i;

  arch = hz_arch_tensors (width, &count);
  for (i = 0; i < count; i++)
    if (g_str_has_suffix (arch[i].name, ".running_mean"))
      n += 2 * (gsize) arch[i].shape[0];
  return n;
}

HzNet *
hz_net_new (const HzWeights *weights,
            GError         **error)
{
  HzNet *net;
  float *bn;
  int i, width;

  if (!hz_arch_check (weights, &width, error))
    return NULL;

  net = g_new0 (HzNet, 1);
  net->width = width;
  net->style_dim = stage_channels (net, N_STAGES - 1);
  net->bn = bn = g_new (float, bn_floats (width));

  for (i = 0; i < N_STAGES; i++)
    {
      char *name = g_strdup_printf ("style_encoder.model.%d.conv", i);
      char *norm = g_strdup_printf ("style_encoder.model.%d.norm", i);
      HzConv *conv = &net->style[i];

      conv_init (conv, weights, name, i ? stage_channels (net, i - 1) : 3, stage_channels (net, i),
                 i ? 3 : 7, HZ_ACT_RELU);
      conv->pad_mode = HZ_PAD_REFLECT;
      conv->stride = i ? 2 : 1;
      bn_fold (conv, weights, norm, bn);
      bn += 2 * conv->cout;
      g_free (name);
      g_free (norm);
    }
  se_init (&net->style_se, weights, "style_encoder.se");

  for (i = 0; i < N_STAGES; i++)
    {
      int c = stage_channels (net, i), j;

      for (j = 0; j < 2; j++)
        {
          char *name = g_strdup_printf ("conv%d_%d", i + 1, j + 1);
          char *norm = g_strdup_printf ("bn%d_%d", i + 1, j + 1);

          conv_init (&net->enc[i][j], weights, name, j ? c : (i ? c / 2 : 3), c, 3, HZ_ACT_LEAKY);
          bn_fold (&net->enc[i][j], weights, norm, bn);
          bn += 2 * c;
          g_free (name);
          g_free (norm);
        }
    }
  se_init (&net->se_1, weights, "se_1");

  /* Over the content half of its input: the style half is constant over the
   * image and added apart (hz_conv_add_constant_channels). */
  conv_init (&net->content_style, weights, "content_style_conv",
             net->style_dim, net->style_dim, 3, HZ_ACT_NONE);
  net->content_style.weight_ld = 2 * net->style_dim * 3 * 3;

  for (i = 0; i < N_STAGES - 1; i++)
    {
      int c = stage_channels (net, N_STAGES - 2 - i), j;   /* 8, 4, 2, 1 x width */
      char *name = g_strdup_printf ("deconv%d", i + 5);

      conv_init (&net->deconv[i], weights, name, 2 * c, c, 3, HZ_ACT_NONE);
      net->deconv[i].upsample = TRUE;
      g_free (name);
      for (j = 0; j < 2; j++)
        {
          gboolean last = i == N_STAGES - 2 && j == 1;
          char *cname = g_strdup_printf ("conv%d_%d", i + 6, j + 1);
          char *norm = g_strdup_printf ("bn%d_%d", i + 6, j + 1);

          conv_init (&net->dec[i][j], weights, cname, j ? c : 2 * c, c, 3, HZ_ACT_LEAKY);
          if (!last)   /* stage 9 has no bn9_2 */
            {
              bn_fold (&net->dec[i][j], weights, norm, bn);
              bn += 2 * c;
            }
          g_free (cname);
          g_free (norm);
        }
    }

  conv_init (&net->conv10, weights, "conv10", stage_channels (net, 0), 3, 1, HZ_ACT_NONE);
  g_assert (bn == net->bn + bn_floats (width));

  /* The content encoder's and decoder's 3 x 3 convs run as direct
   * convolutions, and as Winograd on images large enough for it (hz-ops.c
   * picks F(2x2, 3x3) or, for the narrow ones on large outputs, F(4x4,
   * 3x3)) from 32 channels in and out: with fewer the transforms cost
   * more than they save (measured at 64 to 256 px, full width and width 8).
   * Up to 256 out: the transformed weights (16/9 of theirs) of the wider
   * ones, on the smallest images, would cost too much memory (peak RSS of a
   * 256 px forward on 2 threads 147 MB, 189 MB with them; the target 150). */
  for (i = 0; i < (int) G_N_ELEMENTS (net->winograd); i++)
    {
      HzConv *conv = winograd_conv (net, i);

      conv->direct = TRUE;
      net->winograd_ok[i] = conv->cin >= WINOGRAD_MIN_CHANNELS && conv->cout >= WINOGRAD_MIN_CHANNELS
                            && conv->cout <= WINOGRAD_MAX_COUT;
    }
  g_mutex_init (&net->winograd_lock);
  /* The style encoder's too (outputs of at most 64 pixels take hz-ops.c's
   * small path whatever the flags): since the direct path's blocks hold 8
   * output channels and its chunks half of L2, its last conv, the widest,
   * runs faster so than through BLIS's gemm (at 256 px, full width, one
   * thread 6.2 -> 5.0 ms; at 512 px 21.4 -> 18.7). */
  for (i = 0; i < N_STAGES; i++)
    net->style[i].direct = TRUE;
  return net;
}

int
hz_net_width (const HzNet *net)
{
  return net->width;
}

void
hz_net_free (HzNet *net)
{
  int i;

  if (!net)
    return;
  for (i = 0; i < (int) G_N_ELEMENTS (net->winograd); i++)
    {
      g_free (net->winograd[i][0]);
      g_free (net->winograd[i][1]);
    }
  g_mutex_clear (&net->winograd_lock);
  g_free (net->bn);
  g_free (net);
}

/* n floats on a 64-byte boundary (free them with free), or NULL: malloc
 * leaves large blocks 16 bytes past a page, where every 64-byte vector of
 * the kernels would straddle two cache lines. */
static float *
aligned_floats (gsize n)
{
  void *p;

  return posix_memalign (&p, 64, n * sizeof (float)) == 0 ? p : NULL;
}

HzNetBuffers *
hz_net_buffers_new (void)
{
  return g_new0 (HzNetBuffers, 1);
}

void
hz_net_buffers_free (HzNetBuffers *buffers)
{
  if (!buffers)
    return;
  free (buffers->data);
  g_free (buffers);
}

/* ---- sizes ------------------------------------------------------------------ */

typedef void (*ConvVisit) (const HzConv *conv, int h, int w, gpointer data);

/* Every convolution of a forward pass with its input size, in order. */
static void
walk_convs (const HzNet *net,
            int          hp,
            int          wp,
            int          hr,
            int          wr,
            ConvVisit    visit,
            gpointer     data)
{
  int h = hr, w = wr, i;

  for (i = 0; i < N_STAGES; i++)
    {
      visit (&net->style[i], h, w, data);
      h = hz_conv_out_size (&net->style[i], h);
      w = hz_conv_out_size (&net->style[i], w);
    }
  h = hp;
  w = wp;
  for (i = 0; i < N_STAGES; i++)
    {
      if (i)
        h /= 2, w /= 2;
      visit (&net->enc[i][0], h, w, data);
      visit (&net->enc[i][1], h, w, data);
    }
  visit (&net->content_style, h, w, data);
  for (i = 0; i < N_STAGES - 1; i++)
    {
      visit (&net->deconv[i], h, w, data);
      h *= 2;
      w *= 2;
      visit (&net->dec[i][0], h, w, data);
      visit (&net->dec[i][1], h, w, data);
    }
  visit (&net->conv10, h, w, data);
}

/* The Winograd weights of a conv that takes that path at this size, if not
 * made yet (under net->winograd_lock). A forward at 64 px needs only the
 * shallow levels': the deep ones' outputs take the small path, and theirs
 * would be most of the time and memory of making them all at load. */
static void
make_winograd (const HzConv *conv,
               int           h,
               int           w,
               gpointer      data)
{
  HzNet *net = data;

  int tile = hz_conv_winograd_tile (conv, h, w);

  for (int i = 0; i < (int) G_N_ELEMENTS (net->winograd); i++)
    if (winograd_conv (net, i) == conv && net->winograd_ok[i] && tile && !net->winograd[i][tile / 4])
      {
        net->winograd[i][tile / 4] = hz_conv_winograd_weights (conv, tile);
        g_atomic_pointer_set (&winograd_conv (net, i)->winograd[tile / 4], net->winograd[i][tile / 4]);
      }
}

typedef struct
{
  const HzNet *net;
  int          n_threads;
  gsize        scratch;   /* floats of conv scratch */
  gsize        work;      /* floats of the largest conv output in a work buffer */
  gsize        full;      /* floats of the largest at full size (see the top) */
  double       macs;
} Sizes;

static double
conv_macs (const HzConv *conv,
           int           h,
           int           w)
{
  return (double) conv->cout * conv->cin * conv->k * conv->k
         * hz_conv_out_size (conv, h) * hz_conv_out_size (conv, w);
}

static void
measure_conv (const HzConv *conv,
              int           h,
              int           w,
              gpointer      data)
{
  Sizes *s = data;
  const HzNet *net = s->net;
  gsize out = (gsize) conv->cout * hz_conv_out_size (conv, h) * hz_conv_out_size (conv, w);
  gboolean in_cat = conv == &net->enc[0][1];   /* and below: those that write a cat buffer */
  int i;

  for (i = 0; i < N_STAGES - 1; i++)
    in_cat |= conv == &net->enc[i + 1][1] || conv == &net->deconv[i];
  s->scratch = MAX (s->scratch, hz_conv_scratch_size (conv, h, w, s->n_threads));
  if (conv == &net->style[0] || conv == &net->enc[0][0] || conv == &net->dec[N_STAGES - 2][0]
      || conv == &net->dec[N_STAGES - 2][1])
    s->full = MAX (s->full, out);
  else if (!in_cat)
    s->work = MAX (s->work, out);
  s->macs += conv_macs (conv, h, w);
}

/* Offsets are kept 64-byte aligned. */
static gsize
take (gsize *top,
      gsize  floats)
{
  gsize at = *top;

  *top += (floats + 15) & ~(gsize) 15;
  return at;
}

/* ---- forward ------------------------------------------------------------------ */

typedef struct
{
  const HzOptions *options;
  HzNetTap         tap;
  gpointer         tap_data;
  int              n_threads;
  float           *scratch;
  double           macs_total;
  double           macs_done;
} Run;

/* After each layer: tap, progress, cancellation. FALSE to stop. */
static gboolean
step (Run         *run,
      const char  *layer,
      const float *data,
      int          c,
      int          h,
      int          w,
      double       macs,
      GError     **error)
{
  const HzOptions *o = run->options;

  if (run->tap)
    run->tap (layer, data, c, h, w, run->tap_data);
  run->macs_done += macs;
  if (o && ((o->progress && !o->progress (MIN (run->macs_done / run->macs_total, 1.0),
                                            o->progress_data))
            || (o->cancellable && g_cancellable_is_cancelled (o->cancellable))))
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_CANCELLED, _("Cancelled"));
      return FALSE;
    }
  return TRUE;
}

/* Runs one convolution and steps past it. */
static gboolean
run_conv (Run          *run,
          const HzConv *conv,
          const char   *layer,
          const float  *in,
          int          *h,
          int          *w,
          float        *out,
          GError      **error)
{
  int ho = hz_conv_out_size (conv, *h), wo = hz_conv_out_size (conv, *w);
  double macs = conv_macs (conv, *h, *w);

  hz_conv2d (conv, in, *h, *w, out, run->scratch, run->n_threads);
  *h = ho;
  *w = wo;
  return step (run, layer, out, conv->cout, ho, wo, macs, error);
}

/* The reference's (16 x width)-vector of style: the style encoder, its SE, then the
 * global average, taken as gate times the mean the SE has already made
 * (the average of a gated channel is its gate times its average). */
static gboolean
style_vector (const HzNet *net,
              Run         *run,
              const float *ref,
              int          h,
              int          w,
              float       *work[2],
              float       *full,
              float       *style,
              GError     **error)
{
  const float *x = ref;
  float mean[MAX_STYLE_DIM];
  int i, dim = net->style_dim;

  for (i = 0; i < N_STAGES; i++)
    {
      char name[32];
      float *o = i ? work[i % 2] : full;

      g_snprintf (name, sizeof name, "style_encoder.model.%d", i);
      if (!run_conv (run, &net->style[i], name, x, &h, &w, o, error))
        return FALSE;
      x = o;
    }
  hz_channel_mean (x, dim, (gsize) h * w, mean);
  hz_se_gates (mean, dim, net->style_se.fc0_w, net->style_se.fc0_b,
               net->style_se.fc2_w, net->style_se.fc2_b, style);
  for (i = 0; i < dim; i++)
    style[i] *= mean[i];
  return step (run, "style", style, dim, 1, 1, 0.0, error);
}

static void
apply_se (const HzSE *se,
          int         channels,
          float      *x,
          gsize       n,
          int         n_threads)
{
  float mean[MAX_STYLE_DIM], gates[MAX_STYLE_DIM];

  hz_channel_mean (x, channels, n, mean);
  hz_se_gates (mean, channels, se->fc0_w, se->fc0_b, se->fc2_w, se->fc2_b, gates);
  hz_scale_channels (x, channels, n, gates, n_threads);
}

gboolean
hz_net_forward (const HzNet      *net,
                HzNetBuffers     *buffers,
                const float      *content,
                int               h,
                int               w,
                const float      *ref,
                int               hr,
                int               wr,
                float            *out,
                const HzOptions  *options,
                HzNetTap          tap,
                gpointer          tap_data,
                GError          **error)
{
  int pw = (DIVIDE - w % DIVIDE) % DIVIDE, ph = (DIVIDE - h % DIVIDE) % DIVIDE;
  int left = pw / 2, top = ph / 2;
  int hp = h + ph, wp = w + pw, hs, ws, i, c;
  gsize top_floats = 0, at_pad, at_cat[N_STAGES], at_work[2], at_style, at_scratch;
  float *base, *work[2], *cat[N_STAGES], *style, *x;
  Sizes sizes = { 0 };
  Run run = { 0 };

  if (h < 1 || w < 1 || hr < 1 || wr < 1
      || h > MAX_SIDE || w > MAX_SIDE || hr > MAX_SIDE || wr > MAX_SIDE)
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_INPUT,
                   _("Network input of %d x %d with a reference of %d x %d: sides must be 1 to %d"),
                   w, h, wr, hr, MAX_SIDE);
      return FALSE;
    }

  /* The net is shared by threads, its Winograd weights made as they are
   * first needed: the only change after hz_net_new. */
  g_mutex_lock ((GMutex *) &net->winograd_lock);
  walk_convs (net, hp, wp, hr, wr, make_winograd, (HzNet *) net);
  g_mutex_unlock ((GMutex *) &net->winograd_lock);

  sizes.net = net;
  sizes.n_threads = run.n_threads =
    options && options->n_threads > 0 ? options->n_threads : hz_default_threads ();
  walk_convs (net, hp, wp, hr, wr, measure_conv, &sizes);

  /* cat[i]: decoder input of stage i, the skip in its second half; cat[4]:
   * the SE'd content; cat[1] also takes the convs at full size (see the top). */
  at_pad = take (&top_floats, 3 * (gsize) hp * wp);
  for (i = 0; i < N_STAGES; i++)
    {
      gsize n = (i < N_STAGES - 1 ? 2 : 1) * (gsize) stage_channels (net, i) * (hp >> i) * (wp >> i);

      at_cat[i] = take (&top_floats, i == 1 ? MAX (n, sizes.full) : n);
    }
  at_work[0] = take (&top_floats, sizes.work);
  at_work[1] = take (&top_floats, sizes.work);
  at_style = take (&top_floats, net->style_dim);
  at_scratch = take (&top_floats, sizes.scratch);
  if (top_floats > buffers->size)
    {
      free (buffers->data);
      buffers->size = 0;
      buffers->data = aligned_floats (top_floats);
      if (!buffers->data)
        {
          g_set_error (error, HZ_ERROR, HZ_ERROR_MEMORY,
                       _("Out of memory for the network's buffers (%zu MiB)"),
                       top_floats * sizeof (float) >> 20);
          return FALSE;
        }
      buffers->size = top_floats;
    }
  base = buffers->data;
  for (i = 0; i < N_STAGES; i++)
    cat[i] = base + at_cat[i];
  work[0] = base + at_work[0];
  work[1] = base + at_work[1];
  style = base + at_style;

  run.options = options;
  run.tap = tap;
  run.tap_data = tap_data;
  run.scratch = base + at_scratch;
  run.macs_total = sizes.macs;

  if (!style_vector (net, &run, ref, hr, wr, work, cat[1], style, error))
    return FALSE;

  /* Encoder: stage i's output goes to the second half of cat[i]. */
  x = base + at_pad;
  hz_pad_reflect (content, 3, h, w, top, ph - top, left, pw - left, x);
  hs = hp;
  ws = wp;
  for (i = 0; i < N_STAGES; i++)
    {
      int ch = stage_channels (net, i);
      float *skip = cat[i] + (i < N_STAGES - 1 ? (gsize) ch * hs * ws : 0), *mid = i ? work[1] : cat[1];
      char name[16];

      if (i)
        {
          hz_maxpool2 (x, ch / 2, hs * 2, ws * 2, work[0], run.n_threads);
          x = work[0];
        }
      g_snprintf (name, sizeof name, "bn%d_1", i + 1);
      if (!run_conv (&run, &net->enc[i][0], name, x, &hs, &ws, mid, error))
        return FALSE;
      g_snprintf (name, sizeof name, "bn%d_2", i + 1);
      if (!run_conv (&run, &net->enc[i][1], name, mid, &hs, &ws, skip, error))
        return FALSE;
      x = skip;
      if (i < N_STAGES - 1)
        hs /= 2, ws /= 2;
    }

  /* Fusion: content_style_conv over the SE'd content and the style vector
   * tiled, the latter's part added without tiling. */
  x = cat[N_STAGES - 1];
  apply_se (&net->se_1, net->style_dim, x, (gsize) hs * ws, run.n_threads);
  if (!step (&run, "se_1", x, net->style_dim, hs, ws, 0.0, error))
    return FALSE;
  hz_conv2d (&net->content_style, x, hs, ws, work[0], run.scratch, run.n_threads);
  hz_conv_add_constant_channels (&net->content_style, net->style_dim, net->style_dim, style,
                                 hs, ws, work[0], run.n_threads);
  if (!step (&run, "content_style_conv", work[0], net->style_dim, hs, ws,
             conv_macs (&net->content_style, hs, ws), error))
    return FALSE;

  /* Decoder: upsample + deconv into the first half of cat[stage], then the
   * block; at full size through cat[1], then into cat[0], both read by then. */
  x = work[0];
  for (i = 0; i < N_STAGES - 1; i++)
    {
      int stage = N_STAGES - 2 - i, n = i + 6;
      float *mid = stage ? work[1] : cat[1], *o = stage ? work[0] : cat[0];
      char name[16];

      g_snprintf (name, sizeof name, "deconv%d", i + 5);
      if (!run_conv (&run, &net->deconv[i], name, x, &hs, &ws, cat[stage], error))
        return FALSE;
      g_snprintf (name, sizeof name, "bn%d_1", n);
      if (!run_conv (&run, &net->dec[i][0], name, cat[stage], &hs, &ws, mid, error))
        return FALSE;
      if (n == 9)
        g_snprintf (name, sizeof name, "conv%d_2", n);
      else
        g_snprintf (name, sizeof name, "bn%d_2", n);
      if (!run_conv (&run, &net->dec[i][1], name, mid, &hs, &ws, o, error))
        return FALSE;
      x = o;
    }
  if (!run_conv (&run, &net->conv10, "conv10", x, &hs, &ws, work[1], error))
    return FALSE;

  /* Crop the padding back off. */
  for (c = 0; c < 3; c++)
    for (i = 0; i < h; i++)
      memcpy (out + ((gsize) c * h + i) * w,
              work[1] + ((gsize) c * hp + top + i) * wp + left,
              sizeof (float) * w);
  return step (&run, "output", out, 3, h, w, 0.0, error);
}
