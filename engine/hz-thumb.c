/* Working-size thumbnails: streaming area resampling, pull-push hole filling
 * and the scene reader that feeds the network. */
#include "hz-thumb.h"
#include "hz-blis.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <inttypes.h>

/* Rows read per reader call, fewer for very wide images (~8 MB a chunk). */
#define CHUNK_ROWS    64
#define CHUNK_FLOATS  (2 << 20)
/* Context around the mask's bounding box, as a fraction of its long side. */
#define CONTENT_MARGIN 0.1

static gboolean
grow_buffer (gpointer *buf,
             gsize    *cap,
             gsize     size)
{
  if (size <= *cap)
    return TRUE;
  gpointer p = g_try_realloc (*buf, size);
  if (!p)
    return FALSE;
  *buf = p;
  *cap = size;
  return TRUE;
}

/* Grows ptr (its capacity in bytes in cap) to n elements; FALSE if out of memory. */
#define GROW(ptr, cap, n) \
  ({ gpointer _b = (ptr); \
     gboolean _ok = grow_buffer (&_b, &(cap), (gsize) (n) * sizeof *(ptr)); \
     (ptr) = _b; _ok; })

static gboolean
out_of_memory (GError **error)
{
  g_set_error (error, HZ_ERROR, HZ_ERROR_MEMORY, _("out of memory"));
  return FALSE;
}

void
hz_thumb_size (int  w,
               int  h,
               int  long_side,
               int *thumb_w,
               int *thumb_h)
{
  int min_side = MIN (HZ_THUMB_MIN_SIDE, long_side);
  int l = long_side;
  int s = (int) lround ((double) MIN (w, h) * long_side / MAX (w, h));

  s = CLAMP (s, min_side, long_side);
  *thumb_w = w >= h ? l : s;
  *thumb_h = w >= h ? s : l;
}

/* ---- the resampler -------------------------------------------------------------- */

gboolean
hz_resampler_init (HzResampler  *rs,
                   int           src_w,
                   int           src_h,
                   int           dst_w,
                   int           dst_h,
                   int           channels,
                   GError      **error)
{
  gsize n_dst = (gsize) dst_w * dst_h;

  g_return_val_if_fail (channels >= 1 && channels <= 4, FALSE);
  rs->src_w = src_w;
  rs->src_h = src_h;
  rs->dst_w = dst_w;
  rs->dst_h = dst_h;
  rs->channels = channels;
  rs->sx = (double) src_w / dst_w;
  rs->sy = (double) src_h / dst_h;

  /* The column tables count up to src_w + 2 dst_w in ints; no row that wide
   * could be buffered anyway. */
  if (src_w > G_MAXINT - 2 * dst_w)
    return out_of_memory (error);
  if (!GROW (rs->col_start, rs->cap_cols, 3 * dst_w)
      || !GROW (rs->col_weight, rs->cap_weights, src_w + 2 * dst_w)
      || !GROW (rs->acc, rs->cap_acc, n_dst * (channels + 1))
      || !GROW (rs->row, rs->cap_row, (gsize) dst_w * (channels + 1)))
    return out_of_memory (error);
  rs->col_count = rs->col_start + dst_w;
  rs->col_first = rs->col_count + dst_w;
  rs->wacc = rs->acc + n_dst * channels;
  memset (rs->acc, 0, n_dst * (channels + 1) * sizeof (float));

  /* Destination column i covers the source interval [i sx, (i + 1) sx). */
  int k = 0;
  for (int i = 0; i < dst_w; i++)
    {
      double a = i * rs->sx, b = (i + 1) * rs->sx;
      int x0 = (int) floor (a);
      int x1 = MIN (src_w, (int) ceil (b));

      rs->col_start[i] = x0;
      rs->col_count[i] = x1 - x0;
      rs->col_first[i] = k;
      for (int x = x0; x < x1; x++)
        rs->col_weight[k++] = MIN (x + 1.0, b) - MAX ((double) x, a);
    }
  g_assert (k <= src_w + 2 * dst_w);
  return TRUE;
}

void
hz_resampler_source_columns (const HzResampler *rs,
                             int                i0,
                             int                i1,
                             int               *x0,
                             int               *x1)
{
  g_return_if_fail (i0 >= 0 && i0 < i1 && i1 <= rs->dst_w);
  *x0 = rs->col_start[i0];
  *x1 = rs->col_start[i1 - 1] + rs->col_count[i1 - 1];
}

typedef float v4f __attribute__ ((vector_size (16)));

/* Pixel p's first nc channels (the lanes past them are not used). */
static inline v4f
load_pixel (const float *p,
            int          nc,
            int          pixel_stride)
{
  v4f v = { 0 };

  if (pixel_stride >= 4)
    memcpy (&v, p, sizeof v);
  else
    for (int c = 0; c < nc; c++)
      v[c] = p[c];
  return v;
}

/* Pixel n of a destination column added to one of its sums. */
static inline __attribute__ ((always_inline)) void
add_pixel (v4f         *sv,
           float       *sw,
           const float *cw,
           const float *pw,
           int          weight_stride,
           const float *p,
           int          nc,
           int          pixel_stride,
           int          n)
{
  float w = cw[n];

  if (pw)
    w *= pw[(gsize) n * weight_stride];
  if (w == 0.0f)
    return;
  *sv += w * load_pixel (p + (gsize) n * pixel_stride, nc, pixel_stride);
  *sw += w;
}

/* Source row's columns for destination columns [i0, i1) summed into rs->row
 * (nc sums and their weight a column), generic over the channel count and
 * whether there are weights: instantiated for the callers' cases below so
 * that the inner loops are unrolled. Four sums a column take turns, so that
 * the adds do not wait on each other; zero-weight pixels are skipped (they
 * may hold anything). */
static inline __attribute__ ((always_inline)) void
sum_columns (HzResampler  *rs,
             int           nc,
             int           i0,
             int           i1,
             const float  *pixels,
             int           pixel_stride,
             const float  *weight,
             int           weight_stride)
{
  float *row = rs->row;

  for (int i = i0; i < i1; i++)
    {
      const float *cw = rs->col_weight + rs->col_first[i];
      const float *p = pixels + (gsize) rs->col_start[i] * pixel_stride;
      const float *pw = weight ? weight + (gsize) rs->col_start[i] * weight_stride : NULL;
      const int count = rs->col_count[i];
      v4f sv[4] = { { 0 } };
      float sw[4] = { 0 };
      int n = 0;

      for (; n + 4 <= count; n += 4)
        for (int k = 0; k < 4; k++)
          add_pixel (&sv[k], &sw[k], cw, pw, weight_stride, p, nc, pixel_stride, n + k);
      for (; n < count; n++)
        add_pixel (&sv[0], &sw[0], cw, pw, weight_stride, p, nc, pixel_stride, n);
      v4f s = (sv[0] + sv[1]) + (sv[2] + sv[3]);
      for (int c = 0; c < nc; c++)
        row[i * (nc + 1) + c] = s[c];
      row[i * (nc + 1) + nc] = (sw[0] + sw[1]) + (sw[2] + sw[3]);
    }
}

void
hz_resampler_add_columns (HzResampler  *rs,
                          int           y,
                          int           i0,
                          int           i1,
                          const float  *pixels,
                          int           pixel_stride,
                          const float  *weight,
                          int           weight_stride)
{
  const int nc = rs->channels, dw = rs->dst_w;
  const float *row = rs->row;

  g_return_if_fail (y >= 0 && y < rs->src_h);
  g_return_if_fail (i0 >= 0 && i0 <= i1 && i1 <= dw);
  if (i0 == i1)
    return;

  /* The scene reader's cases: content (4 channels, no weights), reference
   * (3, weighted). */
  if (nc == 4 && !weight)
    sum_columns (rs, 4, i0, i1, pixels, pixel_stride, NULL, 0);
  else if (nc == 3 && weight)
    sum_columns (rs, 3, i0, i1, pixels, pixel_stride, weight, weight_stride);
  else
    sum_columns (rs, nc, i0, i1, pixels, pixel_stride, weight, weight_stride);

  /* Destination row j covers the source interval [j sy, (j + 1) sy). */
  for (int j = (int) floor (y / rs->sy); j < rs->dst_h && j * rs->sy < y + 1; j++)
    {
      float wy = MIN (y + 1.0, (j + 1) * rs->sy) - MAX ((double) y, j * rs->sy);
      gsize plane = (gsize) rs->dst_w * rs->dst_h;
      float *wacc = rs->wacc + (gsize) j * dw;

      if (wy <= 0.0f)
        continue;
      for (int c = 0; c < nc; c++)
        {
          float *acc = rs->acc + c * plane + (gsize) j * dw;
          for (int i = i0; i < i1; i++)
            acc[i] += wy * row[i * (nc + 1) + c];
        }
      for (int i = i0; i < i1; i++)
        wacc[i] += wy * row[i * (nc + 1) + nc];
    }
}

gboolean
hz_resampler_finish (HzResampler *rs,
                     float       *out,
                     float       *coverage)
{
  gsize plane = (gsize) rs->dst_w * rs->dst_h;
  double area = rs->sx * rs->sy;
  gboolean any = FALSE;

  for (gsize p = 0; p < plane; p++)
    {
      float w = rs->wacc[p];
      any |= w > 0.0f;
      for (int c = 0; c < rs->channels; c++)
        out[c * plane + p] = w > 0.0f ? rs->acc[c * plane + p] / w : 0.0f;
      if (coverage)
        coverage[p] = MIN (1.0, w / area);
    }
  return any;
}

void
hz_resampler_clear (HzResampler *rs)
{
  g_free (rs->col_start);
  g_free (rs->col_weight);
  g_free (rs->acc);
  g_free (rs->row);
  memset (rs, 0, sizeof *rs);
}

/* ---- pull-push ---------------------------------------------------------------- */

typedef struct
{
  int    w, h;
  float *v;   /* channels planes */
  float *c;   /* coverage */
} Level;

gboolean
hz_fill_holes (float       *planar,
               const float *coverage,
               int          channels,
               int          w,
               int          h)
{
  GArray *levels = g_array_new (FALSE, FALSE, sizeof (Level));
  Level top = { w, h, planar, (float *) coverage };
  gboolean any;

  g_array_append_val (levels, top);

  /* Pull: each coarser pixel is the coverage-weighted mean of its (up to)
   * four children, its coverage their summed coverage, at most 1. */
  while (top.w > 1 || top.h > 1)
    {
      Level p = { (top.w + 1) / 2, (top.h + 1) / 2, NULL, NULL };
      gsize pn = (gsize) p.w * p.h, tn = (gsize) top.w * top.h;

      p.v = g_new0 (float, pn * (channels + 1));
      p.c = p.v + pn * channels;
      for (int y = 0; y < p.h; y++)
        for (int x = 0; x < p.w; x++)
          {
            double sc = 0.0, sv[8] = { 0 };
            g_assert (channels <= 8);
            for (int dy = 0; dy < 2; dy++)
              for (int dx = 0; dx < 2; dx++)
                {
                  int cx = 2 * x + dx, cy = 2 * y + dy;
                  if (cx >= top.w || cy >= top.h)
                    continue;
                  gsize i = (gsize) cy * top.w + cx;
                  sc += top.c[i];
                  for (int ch = 0; ch < channels; ch++)
                    sv[ch] += top.c[i] * top.v[ch * tn + i];
                }
            gsize o = (gsize) y * p.w + x;
            for (int ch = 0; ch < channels; ch++)
              p.v[ch * pn + o] = sc > 0.0 ? sv[ch] / sc : 0.0;
            p.c[o] = MIN (1.0, sc);
          }
      g_array_append_val (levels, p);
      top = p;
    }

  any = top.c[0] > 0.0f;

  /* Push: from the coarsest level down, blend each pixel with the bilinear
   * estimate of the (already complete) coarser level at its centre. */
  for (guint l = levels->len - 1; any && l > 0; l--)
    {
      Level *p = &g_array_index (levels, Level, l);
      Level *f = &g_array_index (levels, Level, l - 1);
      gsize pn = (gsize) p->w * p->h, fn = (gsize) f->w * f->h;

      for (int y = 0; y < f->h; y++)
        {
          double py = CLAMP ((y + 0.5) / 2 - 0.5, 0.0, p->h - 1.0);
          int y0 = (int) py, y1 = MIN (y0 + 1, p->h - 1);
          double ty = py - y0;
          for (int x = 0; x < f->w; x++)
            {
              double px = CLAMP ((x + 0.5) / 2 - 0.5, 0.0, p->w - 1.0);
              int x0 = (int) px, x1 = MIN (x0 + 1, p->w - 1);
              double tx = px - x0;
              gsize i = (gsize) y * f->w + x;
              double c = CLAMP (f->c[i], 0.0f, 1.0f);
              for (int ch = 0; ch < channels; ch++)
                {
                  const float *pv = p->v + ch * pn;
                  double e = (1 - ty) * ((1 - tx) * pv[y0 * p->w + x0] + tx * pv[y0 * p->w + x1])
                             + ty * ((1 - tx) * pv[y1 * p->w + x0] + tx * pv[y1 * p->w + x1]);
                  f->v[ch * fn + i] = c * f->v[ch * fn + i] + (1 - c) * e;
                }
            }
        }
    }

  for (guint l = 1; l < levels->len; l++)
    g_free (g_array_index (levels, Level, l).v);
  g_array_free (levels, TRUE);
  return any;
}

/* ---- scenes --------------------------------------------------------------------- */

/* The intersection, summed in 64 bits (x + width may pass G_MAXINT). */
static gboolean
rect_intersect (const HzRect *a,
                const HzRect *b,
                HzRect       *out)
{
  gint64 x0 = MAX (a->x, b->x), y0 = MAX (a->y, b->y);
  gint64 x1 = MIN ((gint64) a->x + a->width, (gint64) b->x + b->width);
  gint64 y1 = MIN ((gint64) a->y + a->height, (gint64) b->y + b->height);

  *out = (HzRect) { x0, y0, MAX (0, x1 - x0), MAX (0, y1 - y0) };
  return out->width > 0 && out->height > 0;
}

/* Rows [start, end) of the canvas (the background's coordinates). The
 * foreground's rows are offset by fg_y, so canvas sums are done in 64 bits:
 * an offset plus a size may pass G_MAXINT. */
typedef struct
{
  gint64 start, end;
} Span;

static gboolean
span_empty (Span s)
{
  return s.start >= s.end;
}

static gboolean
span_has (Span   s,
          gint64 y)
{
  return y >= s.start && y < s.end;
}

static Span
span_meet (Span a,
           Span b)
{
  return (Span) { MAX (a.start, b.start), MIN (a.end, b.end) };
}

/* The smallest span holding both (either may be empty). */
static Span
span_join (Span a,
           Span b)
{
  if (span_empty (a))
    return b;
  if (span_empty (b))
    return a;
  return (Span) { MIN (a.start, b.start), MAX (a.end, b.end) };
}

static gboolean
check_reader (const HzReader *r,
              const char     *what,
              GError        **error)
{
  if (r->width > 0 && r->height > 0 && r->read)
    return TRUE;
  g_set_error (error, HZ_ERROR, HZ_ERROR_INPUT, _("the %s is empty (%dx%d)"),
               _(what), r->width, r->height);
  return FALSE;
}

/* Rows of RGBA, or with mask_only of A alone (by read_mask). */
static gboolean
read_some (const HzReader  *r,
           gboolean         mask_only,
           int              y,
           int              n,
           float           *rows,
           GError         **error)
{
  GError *local = NULL;

  if ((mask_only ? r->read_mask : r->read) (r->user_data, y, n, rows, &local))
    return TRUE;
  if (local)
    g_propagate_error (error, local);
  else
    g_set_error (error, HZ_ERROR, HZ_ERROR_IO, _("reading the image failed"));
  return FALSE;
}

typedef struct
{
  HzProgressFunc  func;
  gpointer        data;
  GCancellable   *cancellable;
} Progress;

static gboolean
report (const Progress *p,
        double          fraction,
        GError        **error)
{
  if (g_cancellable_is_cancelled (p->cancellable)
      || (p->func && !p->func (CLAMP (fraction, 0.0, 1.0), p->data)))
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_CANCELLED, _("cancelled"));
      return FALSE;
    }
  return TRUE;
}

static int
chunk_rows (int width)
{
  return CLAMP (CHUNK_FLOATS / (4 * (gint64) width), 1, CHUNK_ROWS);
}

/* The columns between the first and last A > 0 of a row of width pixels,
 * stride floats each, A last. */
static HzRowSpan
row_span (const float *row,
          int          stride,
          int          width)
{
  HzRowSpan span = { 0, width - 1 };

  while (span.first < width && !(row[stride * span.first + stride - 1] > 0.0f))
    span.first++;
  while (span.last >= span.first && !(row[stride * span.last + stride - 1] > 0.0f))
    span.last--;
  return span;
}

/* A bounding box being found (x1 < 0: nothing yet), grown by row y's span. */
typedef struct
{
  int x0, x1, y0, y1;
} Bounds;

static void
bounds_add (Bounds    *b,
            int        y,
            HzRowSpan  span)
{
  if (span.first > span.last)
    return;
  b->x0 = MIN (b->x0, span.first);
  b->x1 = MAX (b->x1, span.last);
  b->y0 = MIN (b->y0, y);
  b->y1 = y;
}

/* The bounding box of A > 0: from the reader's spans (clipped to the row),
 * or read in rows of chunk_rows at a time into *buf (grown as needed),
 * progress running from 0 to 1 over it. */
static gboolean
mask_bounds (const HzReader  *fg,
             float          **buf,
             gsize           *cap,
             const Progress  *progress,
             HzRect          *bbox,
             GError         **error)
{
  const gboolean mask_only = fg->read_mask != NULL;
  const int stride = mask_only ? 1 : 4;   /* floats a pixel; A last */
  const int rows = chunk_rows (fg->width);
  Bounds b = { fg->width, -1, fg->height, -1 };

  if (!check_reader (fg, N_("foreground"), error))
    return FALSE;
  if (fg->mask_spans)
    for (int y = 0; y < fg->height; y++)
      bounds_add (&b, y, (HzRowSpan) { MAX (fg->mask_spans[y].first, 0),
                                       MIN (fg->mask_spans[y].last, fg->width - 1) });
  else
    {
      if (!GROW (*buf, *cap, (gsize) fg->width * rows * 4))
        return out_of_memory (error);
      for (int y = 0, n; y < fg->height; y += n)
        {
          n = MIN (rows, fg->height - y);
          if (!read_some (fg, mask_only, y, n, *buf, error))
            return FALSE;
          for (int r = 0; r < n; r++)
            bounds_add (&b, y + r, row_span (*buf + (gsize) r * fg->width * stride, stride,
                                             fg->width));
          if (!report (progress, (double) (y + n) / fg->height, error))
            return FALSE;
        }
    }

  if (b.x1 < 0)
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_INPUT, _("the mask is empty"));
      return FALSE;
    }
  *bbox = (HzRect) { b.x0, b.y0, b.x1 - b.x0 + 1, b.y1 - b.y0 + 1 };
  return TRUE;
}

/* Pass 1's progress: the first half of the scene's. */
static gboolean
first_half (double   fraction,
            gpointer data)
{
  const Progress *p = data;

  return !p->func || p->func (0.5 * fraction, p->data);
}

static inline float
unit (float v)
{
  return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
}

/* One content row's columns [x0, x1) of the region (foreground row fy): fg
 * over bg with the soft mask, RGB and the mask, into line (4 floats a
 * column of the region). Pixels off the canvas keep the fg. */
static void
content_row (const HzSceneThumbs *t,
             const HzScene       *scene,
             const float         *fg_row,
             const float         *bg_row,
             int                  x0,
             int                  x1,
             float               *line)
{
  for (int i = x0; i < x1; i++)
    {
      const gint64 x = (gint64) t->region.x + i, bx = x + scene->fg_x;
      const float *f = fg_row + 4 * x;
      float *out = line + 4 * i, m = unit (f[3]);

      if (bg_row && bx >= 0 && bx < scene->background.width)
        {
          const float *b = bg_row + 4 * bx;
          for (int c = 0; c < 3; c++)
            out[c] = m * f[c] + (1 - m) * b[c];
        }
      else
        for (int c = 0; c < 3; c++)
          out[c] = f[c];
      out[3] = m;
    }
}

/* The reference row's pixel weights over the box's columns [x0, x1): 1 -
 * mask where the foreground covers; fg_row has stride floats a pixel, the
 * mask last. */
static void
reference_weights (const HzSceneThumbs *t,
                   const HzScene       *scene,
                   const float         *fg_row,
                   int                  stride,
                   int                  x0,
                   int                  x1,
                   float               *weight)
{
  /* The box's columns i that the foreground covers: [a, b). */
  const gint64 fx0 = (gint64) t->box.x - scene->fg_x;
  const int a = fg_row ? CLAMP (-fx0, x0, x1) : x1;
  const int b = fg_row ? CLAMP (scene->foreground.width - fx0, a, x1) : x1;

  for (int i = x0; i < a; i++)
    weight[i] = 1.0f;
  for (int i = a; i < b; i++)
    weight[i] = 1.0f - unit (fg_row[stride * (fx0 + i) + stride - 1]);
  for (int i = b; i < x1; i++)
    weight[i] = 1.0f;
}

/* Whether rows [y0, y1) of spans are all empty. */
static gboolean
spans_empty (const HzRowSpan *spans,
             gint64           y0,
             gint64           y1)
{
  for (gint64 y = y0; y < y1; y++)
    if (spans[y].first <= spans[y].last)
      return FALSE;
  return TRUE;
}

/* Tasks a chunk of rows is resampled in: each takes a share of both
 * thumbnails' columns, so that every destination pixel gets its rows from
 * one thread in the same order as on one. */
#define SWEEP_TASKS_MAX 16

typedef struct
{
  HzSceneThumbs  *t;
  const HzScene  *scene;
  Span            hull, content, reference, fg_rows, bg_rows;
  int             stride;        /* floats a foreground pixel read */
  int             n_tasks;
  gsize           line_floats;   /* of t->lines a slot */
} Chunk;

/* Task k's share [*i0, *i1) of n columns. */
static void
share (int  n,
       int  k,
       int  n_tasks,
       int *i0,
       int *i1)
{
  *i0 = (int) ((gint64) n * k / n_tasks);
  *i1 = (int) ((gint64) n * (k + 1) / n_tasks);
}

static void
chunk_task (int      k,
            int      slot,
            gpointer data)
{
  const Chunk *c = data;
  HzSceneThumbs *t = c->t;
  const HzScene *scene = c->scene;
  const HzReader *fg = &scene->foreground, *bg = &scene->background;
  float *line = t->lines + c->line_floats * slot, *weight = line + (gsize) 4 * t->region.width;
  int ci0, ci1, ri0, ri1, cx0 = 0, cx1 = 0, rx0 = 0, rx1 = 0;

  share (t->content_w, k, c->n_tasks, &ci0, &ci1);
  share (t->reference_w, k, c->n_tasks, &ri0, &ri1);
  if (ci0 < ci1)
    hz_resampler_source_columns (&t->content_rs, ci0, ci1, &cx0, &cx1);
  if (ri0 < ri1)
    hz_resampler_source_columns (&t->reference_rs, ri0, ri1, &rx0, &rx1);

  for (gint64 cy = c->hull.start; cy < c->hull.end; cy++)
    {
      const float *fg_row = span_has (c->fg_rows, cy)
        ? t->fg_rows + (gsize) (cy - c->fg_rows.start) * fg->width * c->stride : NULL;
      const float *bg_row = span_has (c->bg_rows, cy)
        ? t->bg_rows + (gsize) (cy - c->bg_rows.start) * bg->width * 4 : NULL;

      if (ci0 < ci1 && span_has (c->content, cy))
        {
          content_row (t, scene, fg_row, bg_row, cx0, cx1, line);
          hz_resampler_add_columns (&t->content_rs, cy - c->content.start, ci0, ci1, line, 4,
                                    NULL, 0);
        }
      if (ri0 < ri1 && span_has (c->reference, cy))
        {
          reference_weights (t, scene, fg_row, c->stride, rx0, rx1, weight);
          hz_resampler_add_columns (&t->reference_rs, cy - c->reference.start, ri0, ri1,
                                    bg_row + 4 * t->box.x, 4, weight, 1);
        }
    }
}

/* Pass 2: both thumbnails in one sweep down the canvas. */
static gboolean
sweep (HzSceneThumbs   *t,
       const HzScene   *scene,
       int              n_threads,
       const Progress  *progress,
       GError         **error)
{
  const HzReader *fg = &scene->foreground, *bg = &scene->background;
  const gint64 fg_y = scene->fg_y;
  const Span content = { fg_y + t->region.y, fg_y + t->region.y + t->region.height };
  const Span reference = { t->box.y, (gint64) t->box.y + t->box.height };
  const Span fg_canvas = { fg_y, fg_y + fg->height }, bg_canvas = { 0, bg->height };
  const gint64 lo = MIN (content.start, reference.start), hi = MAX (content.end, reference.end);
  const int rows = MIN (chunk_rows (fg->width), chunk_rows (bg->width));
  const int n_tasks = MIN (n_threads > 0 ? n_threads : hz_default_threads (), SWEEP_TASKS_MAX);
  Chunk c = { t, scene, .n_tasks = n_tasks,
              .line_floats = (gsize) t->region.width * 4 + t->box.width };

  if (!GROW (t->fg_rows, t->cap_fg, (gsize) fg->width * rows * 4)
      || !GROW (t->bg_rows, t->cap_bg, (gsize) bg->width * rows * 4)
      || !GROW (t->lines, t->cap_lines, c.line_floats * n_tasks))
    return out_of_memory (error);
  c.content = content;
  c.reference = reference;

  for (gint64 y = lo; y < hi; y += rows)
    {
      Span chunk = { y, MIN (y + rows, hi) };
      /* Read the hull of the rows either thumbnail needs in this chunk. */
      c.hull = span_join (span_meet (chunk, content), span_meet (chunk, reference));
      c.fg_rows = span_meet (c.hull, fg_canvas);
      c.bg_rows = span_meet (c.hull, bg_canvas);

      if (span_empty (c.hull))
        continue;
      /* Rows the content does not take need the foreground's mask alone,
       * and not even that where its spans say it is zero (the reference's
       * weights are 1 there, as without a foreground). */
      const gboolean mask_only = fg->read_mask && span_empty (span_meet (c.fg_rows, content));
      if (mask_only && fg->mask_spans
          && spans_empty (fg->mask_spans, c.fg_rows.start - fg_y, c.fg_rows.end - fg_y))
        c.fg_rows = (Span) { 0, 0 };
      c.stride = mask_only ? 1 : 4;
      if (!span_empty (c.fg_rows)
          && !read_some (fg, mask_only, c.fg_rows.start - fg_y, c.fg_rows.end - c.fg_rows.start,
                         t->fg_rows, error))
        return FALSE;
      if (!span_empty (c.bg_rows)
          && !read_some (bg, FALSE, c.bg_rows.start, c.bg_rows.end - c.bg_rows.start,
                         t->bg_rows, error))
        return FALSE;
      hz_parallel_for (n_tasks, n_tasks, chunk_task, &c);
      if (!report (progress, 0.5 + 0.5 * (c.hull.end - lo) / (hi - lo), error))
        return FALSE;
    }
  return TRUE;
}

gboolean
hz_scene_read (HzSceneThumbs   *t,
               const HzScene   *scene,
               int              working_size,
               int              n_threads,
               HzProgressFunc   progress_func,
               gpointer         progress_data,
               GCancellable    *cancellable,
               GError         **error)
{
  const HzReader *fg = &scene->foreground, *bg = &scene->background;
  Progress progress = { progress_func, progress_data, cancellable };
  HzRect canvas = { 0, 0, bg->width, bg->height }, bbox;

  if (!check_reader (fg, N_("foreground"), error) || !check_reader (bg, N_("background"), error))
    return FALSE;

  if (!scene->has_box)
    t->box = canvas;
  else if (scene->box.width <= 0 || scene->box.height <= 0
           || !rect_intersect (&scene->box, &canvas, &t->box))
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_INPUT,
                   _("the reference box %dx%d%+d%+d lies outside the image (%dx%d)"),
                   scene->box.width, scene->box.height, scene->box.x, scene->box.y,
                   bg->width, bg->height);
      return FALSE;
    }

  Progress pass1 = { first_half, &progress, cancellable };
  if (!report (&progress, 0.0, error)
      || !mask_bounds (fg, &t->fg_rows, &t->cap_fg, &pass1, &bbox, error))
    return FALSE;

  /* Off the canvas, the result would be the background unchanged. */
  gint64 left = (gint64) scene->fg_x + bbox.x, top = (gint64) scene->fg_y + bbox.y;
  if (left >= bg->width || top >= bg->height || left + bbox.width <= 0 || top + bbox.height <= 0)
    {
      g_set_error (error, HZ_ERROR, HZ_ERROR_INPUT,
                   _("the foreground does not overlap the background: its mask, %dx%d at "
                   "%" PRId64 ",%" PRId64 ", lies outside the %dx%d background"),
                   bbox.width, bbox.height, left, top, bg->width, bg->height);
      return FALSE;
    }

  /* The bounding box with its margin, within the layer. */
  int margin = (int) ceil (CONTENT_MARGIN * MAX (bbox.width, bbox.height));
  gint64 x0 = MAX (0, bbox.x - margin), y0 = MAX (0, bbox.y - margin);
  gint64 x1 = MIN (fg->width, (gint64) bbox.x + bbox.width + margin);
  gint64 y1 = MIN (fg->height, (gint64) bbox.y + bbox.height + margin);
  t->region = (HzRect) { x0, y0, x1 - x0, y1 - y0 };

  hz_thumb_size (t->region.width, t->region.height, working_size, &t->content_w, &t->content_h);
  hz_thumb_size (t->box.width, t->box.height, working_size, &t->reference_w, &t->reference_h);

  gsize cn = (gsize) t->content_w * t->content_h, rn = (gsize) t->reference_w * t->reference_h;
  if (!hz_resampler_init (&t->content_rs, t->region.width, t->region.height,
                          t->content_w, t->content_h, 4, error)
      || !hz_resampler_init (&t->reference_rs, t->box.width, t->box.height,
                             t->reference_w, t->reference_h, 3, error))
    return FALSE;
  if (!GROW (t->content, t->cap_content, 4 * cn)
      || !GROW (t->reference, t->cap_reference, 4 * rn))
    return out_of_memory (error);
  t->mask = t->content + 3 * cn;
  t->coverage = t->reference + 3 * rn;

  if (!sweep (t, scene, n_threads, &progress, error))
    return FALSE;

  hz_resampler_finish (&t->content_rs, t->content, NULL);
  if (!hz_resampler_finish (&t->reference_rs, t->reference, t->coverage))
    {
      if (scene->has_box)
        g_set_error (error, HZ_ERROR, HZ_ERROR_INPUT,
                     _("the reference box %dx%d%+d%+d is entirely covered by the foreground"),
                     t->box.width, t->box.height, t->box.x, t->box.y);
      else
        g_set_error (error, HZ_ERROR, HZ_ERROR_INPUT,
                     _("the mask covers the whole background: none of it is left to compare "
                     "the foreground with"));
      return FALSE;
    }
  hz_fill_holes (t->reference, t->coverage, 3, t->reference_w, t->reference_h);
  /* The content's margin is background: filled from the foreground instead,
   * as the reference's hole is from the background, the network sees the
   * foreground alone, as in training (SSH's content crops hold no other
   * picture); the dev benchmark's fMSE drops by a tenth (weights/README.md). */
  hz_fill_holes (t->content, t->mask, 3, t->content_w, t->content_h);
  return report (&progress, 1.0, error);
}

void
hz_scene_thumbs_clear (HzSceneThumbs *t)
{
  hz_resampler_clear (&t->content_rs);
  hz_resampler_clear (&t->reference_rs);
  g_free (t->content);
  g_free (t->reference);
  g_free (t->fg_rows);
  g_free (t->bg_rows);
  g_free (t->lines);
  memset (t, 0, sizeof *t);
}
