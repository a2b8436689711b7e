/* harmonize: the engine from the command line (see --help). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harmonize.h"
#include "imageio.h"
#include "outputs.h"

#define EXIT_INPUT 1
#define EXIT_USAGE 2

/* The most --threads may ask for (each has scratch rows of the images' width). */
#define MAX_THREADS 256

/* JPEG masks carry compression noise around 0 and 1: snap it away so the
 * mask's bounding box and the untouched background stay clean. */
#define JPEG_MASK_SNAP 0.03f

static const char description[] =
  "Harmonizes a pasted foreground with its background (SSH, Jiang et al. 2021):\n"
  "a neural network looks at the foreground over the background at working size\n"
  "(--size), a 17-term colour mapping is fitted between its input and output, and\n"
  "that mapping recolours the foreground at full resolution.\n"
  "\n"
  "Two ways to give the scene:\n"
  "  --composite C --mask M     an image with the object already pasted in, and the\n"
  "                             object's mask (white = object, soft edges welcome)\n"
  "  --foreground F --background B [--mask M] [--offset X,Y]\n"
  "                             a separate object layer placed at X,Y on the\n"
  "                             background (it may reach past the edges); its mask is\n"
  "                             M, or F's alpha channel, or both multiplied\n"
  "\n"
  "Images: PNG (grey, RGB, palette, with or without alpha, 8 or 16 bits) and JPEG\n"
  "(grey or colour), taken as sRGB-encoded values; colour profiles are not carried\n"
  "over. A mask's value is its first channel (the red one for a colour mask, as the\n"
  "SSH release does) times its alpha if it has one; JPEG masks have values within\n"
  "3% of black or white snapped to them. Images of more than --max-pixels pixels\n"
  "are refused before they are decoded; damaged image data (a PNG's, or a JPEG's\n"
  "that libjpeg would fill in with grey) is an error. An input may be a pipe\n"
  "(/dev/stdin, for instance); it is read whole first. The output is the harmonized foreground\n"
  "composited over the background with the soft mask, at the background's size; PNG\n"
  "or JPEG by its extension, 16-bit PNG when the composite or foreground was 16-bit\n"
  "(or with --depth 16), with the background's alpha channel if it has one.\n"
  "The reference the network compares the foreground with is the background inside\n"
  "--box (default: all of it), less the pixels the mask covers.\n"
  "\n"
  "--network-output, --network-input and --network-reference write the network's\n"
  "working-size output, content input and reference input: PFM (floats in [-1, 1]\n"
  "as they are) or 16-bit PNG of (v + 1) / 2, by extension; for checking the\n"
  "engine against the PyTorch reference.\n"
  "\n"
  "The weights file is --weights, else $HARMONIZE_WEIGHTS, else the installed one.\n"
  "Outputs are written to temporary files and renamed only when all succeeded.\n"
  "\n"
  "Exit status: 0 on success, 1 for bad input (unreadable image, mask size\n"
  "mismatch, empty mask, reference box outside the image, missing weights...),\n"
  "2 for a bad command line (unknown option, value out of range...).\n"
  "\n"
  "Examples:\n"
  "  harmonize --composite photo.jpg --mask person.png -o result.jpg\n"
  "  harmonize --composite c.png --mask m.png --box 0,0,800,600 --strength 0.8 -o out.png\n"
  "  harmonize --foreground cat.png --background room.jpg --offset 420,310 -o out.png\n"
  "  harmonize --composite c.png --mask m.png -o out.png --network-output net.pfm\n";

typedef struct
{
  char     *composite, *foreground, *background, *mask, *output;
  char     *box, *offset, *weights;
  char     *network_output, *network_input, *network_reference;
  int       size, threads, quality, depth;
  gint64    max_pixels;
  double    strength;
  gboolean  quiet, timing;
} Args;

/* One line on stderr, "harmonize: " first. */
static int
die (int         status,
     const char *format,
     ...)
{
  va_list ap;
  char *msg;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_strdelimit (msg, "\r\n", ' ');
  fprintf (stderr, "harmonize: %s\n", msg);
  g_free (msg);
  return status;
}

/* "a,b,..." of exactly n integers. */
static gboolean
parse_ints (const char *text,
            int         n,
            int        *out)
{
  const char *p = text;

  for (int i = 0; i < n; i++)
    {
      char *end;
      errno = 0;
      gint64 v = g_ascii_strtoll (p, &end, 10);
      if (end == p || errno || v < G_MININT || v > G_MAXINT)
        return FALSE;
      out[i] = v;
      p = end;
      if (i < n - 1 && *p++ != ',')
        return FALSE;
    }
  return *p == '\0';
}

/* ---- readers --------------------------------------------------------------------- */

typedef struct
{
  const Image *image;
  const Image *mask;        /* NULL: none */
  gboolean     use_alpha;   /* the image's alpha is part of the mask */
  float       *scratch;     /* two rows of floats a thread for the engine's reads (shared:
                               it reads one source at a time) */
  int          threads;     /* that read a source's rows */
  HzRowSpan   *spans;       /* a row each (source_find_spans); NULL: not yet known */
} Source;

static float
snap (float m)
{
  return m < JPEG_MASK_SNAP ? 0.0f : m > 1.0f - JPEG_MASK_SNAP ? 1.0f : m;
}

/* Row y of a source's mask into m: the image's alpha where it is part of the
 * mask, times the mask's value (1 without either). Once the spans are known
 * only the row's span is converted, the rest is 0. scratch: a row of floats. */
static void
source_mask (const Source *s,
             int           y,
             float        *m,
             float        *scratch)
{
  const int w = s->image->width;
  int x0 = 0, x1 = w;

  if (s->spans)
    {
      x0 = MIN (s->spans[y].first, w);
      x1 = MAX (x0, s->spans[y].last + 1);
      memset (m, 0, x0 * sizeof *m);
      memset (m + x1, 0, (w - x1) * sizeof *m);
    }
  const int n = x1 - x0;
  m += x0;
  if (s->use_alpha)
    image_span_alpha (s->image, y, x0, n, m);
  else
    for (int x = 0; x < n; x++)
      m[x] = 1.0f;
  if (!s->mask)
    return;
  image_span_mask (s->mask, y, x0, n, scratch);
  if (s->mask->format == IMAGE_FORMAT_JPEG)
    for (int x = 0; x < n; x++)
      m[x] *= snap (scratch[x]);
  else
    for (int x = 0; x < n; x++)
      m[x] *= scratch[x];
}

/* The two rows of scratch of the pool's thread slot. */
static float *
slot_rows (const Source *s,
           int           slot)
{
  return s->scratch + (gsize) 2 * s->image->width * slot;
}

typedef struct
{
  const Source *s;       /* its spans still NULL */
  HzRowSpan    *spans;
} SpanJob;

static void
find_span (int      y,
           int      slot,
           gpointer data)
{
  const SpanJob *j = data;
  const int w = j->s->image->width;
  float *m = slot_rows (j->s, slot);
  int first = w, last = -1;

  source_mask (j->s, y, m, m + w);
  for (int x = 0; x < w; x++)
    if (m[x] > 0.0f)
      {
        first = x;
        break;
      }
  for (int x = w - 1; x >= first; x--)
    if (m[x] > 0.0f)
      {
        last = x;
        break;
      }
  j->spans[y] = (HzRowSpan) { first, last };
}

/* Finds every row's span, once: the engine reads the mask twice and the
 * output reads it a third time, and most of it is zero. */
static HzRowSpan *
source_find_spans (Source *s)
{
  SpanJob j = { s, g_new (HzRowSpan, s->image->height) };

  hz_parallel_for (s->image->height, s->threads, find_span, &j);
  return s->spans = j.spans;
}

/* Row y of a source: its colours, and as A its mask. scratch: two rows of
 * floats. */
static void
source_row (const Source *s,
            int           y,
            float        *rgba,
            float        *scratch)
{
  const int w = s->image->width;

  image_row_rgba (s->image, y, rgba);
  source_mask (s, y, scratch, scratch + w);
  for (int x = 0; x < w; x++)
    rgba[4 * x + 3] = scratch[x];
}

/* One read of the engine's: rows y.. of a source, RGBA or the mask alone,
 * converted on the engine's pool, a row each. */
typedef struct
{
  const Source *s;
  int           y;
  float        *out;
  gboolean      mask_only;
} SourceRead;

static void
read_row (int      r,
          int      slot,
          gpointer data)
{
  const SourceRead *q = data;
  const int w = q->s->image->width;
  float *scratch = slot_rows (q->s, slot);

  if (q->mask_only)
    source_mask (q->s, q->y + r, q->out + (gsize) r * w, scratch);
  else
    source_row (q->s, q->y + r, q->out + (gsize) r * w * 4, scratch);
}

static gboolean
read_source (gpointer  data,
             int       y,
             int       n_rows,
             float    *rgba,
             GError  **error)
{
  SourceRead q = { data, y, rgba, FALSE };

  (void) error;
  hz_parallel_for (n_rows, q.s->threads, read_row, &q);
  return TRUE;
}

/* After the engine found no mask: whether this source's is empty... */
static gboolean
mask_is_empty (const Source *s)
{
  for (int y = 0; y < s->image->height; y++)
    if (s->spans[y].first <= s->spans[y].last)
      return FALSE;
  return TRUE;
}

/* ...and where its value comes from, for the message. */
static char *
mask_origin (const Source *s,
             const char   *mask_path,
             const char   *image_path)
{
  GString *o = g_string_new (NULL);

  if (s->mask)
    g_string_append_printf (o, image_has_alpha (s->mask) ? "%s times its alpha in '%s'" : "%s of '%s'",
                            s->mask->channels >= 3 ? "the first channel (red)" : "the grey", mask_path);
  if (s->use_alpha && image_has_alpha (s->image))
    g_string_append_printf (o, "%sthe alpha of '%s'", s->mask ? " times " : "", image_path);
  return g_string_free (o, FALSE);
}

/* The mask alone: the bounding box pass needs no colours. */
static gboolean
read_source_mask (gpointer  data,
                  int       y,
                  int       n_rows,
                  float    *mask,
                  GError  **error)
{
  SourceRead q = { data, y, mask, TRUE };

  (void) error;
  hz_parallel_for (n_rows, q.s->threads, read_row, &q);
  return TRUE;
}

static HzReader
source_reader (Source *s)
{
  return (HzReader) { .width = s->image->width, .height = s->image->height,
                      .read = read_source, .user_data = s, .read_mask = read_source_mask,
                      .mask_spans = s->spans };
}

/* ---- progress --------------------------------------------------------------------- */

typedef struct
{
  gboolean shown;
  int      percent;
} Progress;

static void
progress_show (Progress *p,
               double    fraction)
{
  int percent = (int) (fraction * 100.0);

  if (!p->shown || percent == p->percent)
    return;
  p->percent = percent;
  fprintf (stderr, "\rharmonize: %3d%%", percent);
  if (percent >= 100)
    fputc ('\n', stderr);
  fflush (stderr);
}

/* The fit is the first 90% of the run, writing the rest. */
static gboolean
fit_progress (double   fraction,
              gpointer data)
{
  progress_show (data, 0.9 * fraction);
  return TRUE;
}

/* ---- the output ------------------------------------------------------------------- */

/* Output rows are composited this many at a time, in parallel, then encoded
 * in order (the encoders are sequential). */
#define OUTPUT_CHUNK_ROWS 64

typedef struct
{
  const Source      *fg;
  int                fg_x, fg_y;
  const Image       *bg;
  const HzColorMap  *map;
  double             strength;
  const ImageWriter *writer;
} Composite;

/* Floats of scratch composite_row needs a thread. */
static gsize
scratch_floats (const Composite *c)
{
  return (gsize) c->fg->image->width * 6 + (gsize) c->bg->width * 4;
}

/* Output row y: the harmonized foreground over the background with the soft
 * mask. Only the pixels between the row's first and last non-zero mask value
 * are mapped and blended: elsewhere the output is the background's own
 * pixels. With out (the writer's layout is the background's, see
 * image_writer_matches) the row is written there: the background's stored
 * row with only that span converted and composited; else as floats into b
 * (the background's width in RGBA). A composite (fg->image == bg) keeps its
 * alpha: the mask blends the harmonized colours into it; a separate layer
 * goes over the background. */
static void
composite_row (const Composite *c,
               int              y,
               float           *b,
               guint8          *out,
               float           *scratch)
{
  const int bw = c->bg->width, fw = c->fg->image->width;
  const gboolean over = c->fg->image != c->bg;
  const gint64 fy = (gint64) y - c->fg_y;
  const int x0 = CLAMP (c->fg_x, 0, bw), x1 = CLAMP ((gint64) c->fg_x + fw, 0, bw);
  const gsize pixel_bytes = (gsize) c->bg->channels * (c->bg->depth / 8);
  float *f = scratch, *m = scratch + (gsize) fw * 4, *span = m + (gsize) fw * 2;
  int first = x1, last = x0 - 1;

  if (out)
    memcpy (out, image_row_data (c->bg, y), bw * pixel_bytes);
  else
    image_row_rgba (c->bg, y, b);
  if (fy < 0 || fy >= c->fg->image->height || x1 <= x0)
    return;
  const HzRowSpan ms = c->fg->spans[fy];
  if (ms.last < ms.first)
    return;
  source_mask (c->fg, fy, m, m + fw);
  const float *bm = m - (gint64) c->fg_x;   /* the mask by background column */
  for (int x = MAX (x0, ms.first + c->fg_x); x < MIN (x1, ms.last + 1 + c->fg_x); x++)
    if (bm[x] > 0.0f)
      {
        first = MIN (first, x);
        last = x;
      }
  if (last < first)
    return;

  const int n = last - first + 1;
  float *bp = out ? span : b + 4 * (gsize) first;
  if (out)
    image_span_rgba (c->bg, y, first, n, bp);
  if (over)
    image_span_rgba (c->fg->image, fy, first - c->fg_x, n, f);
  else
    memcpy (f, bp, (gsize) n * 4 * sizeof (float));
  hz_colormap_apply (c->map, c->strength, f, n, 1);
  for (int i = 0; i < n; i++)
    {
      const float *p = f + 4 * i;
      float *q = bp + 4 * i;
      float mk = CLAMP (bm[first + i], 0.0f, 1.0f), ba = over ? q[3] : 1.0f;
      float a = mk + (1 - mk) * ba;
      for (int ch = 0; ch < 3 && a > 0.0f; ch++)
        q[ch] = (mk * p[ch] + (1 - mk) * ba * q[ch]) / a;
      if (over)
        q[3] = a;
    }
  if (out)
    image_writer_pack (c->writer, bp, n, out + first * pixel_bytes);
}

/* A chunk of output rows, composited a row each on the engine's pool. */
typedef struct
{
  const Composite *c;
  int              y0, n;
  guint8          *rows;
  gsize            row_bytes;
  gboolean         packed;
  float           *scratch;   /* scratch_floats (c) a thread */
} OutputChunk;

static void
composite_task (int      r,
                int      slot,
                gpointer data)
{
  const OutputChunk *k = data;
  guint8 *row = k->rows + k->row_bytes * r;

  composite_row (k->c, k->y0 + r, k->packed ? NULL : (float *) row, k->packed ? row : NULL,
                 k->scratch + scratch_floats (k->c) * slot);
}

/* Seconds spent compositing and encoding, for --timing (the encoding runs
 * beside the compositing: the two overlap). */
typedef struct
{
  double composite, encode;
} OutputTimes;

/* The encoder's side: chunks of rows come in the order of the image, are
 * encoded, and their buffers go back to be filled again. After an error it
 * keeps taking chunks without encoding them, so that the compositing never
 * waits for it in vain. */
typedef struct
{
  ImageWriter  *writer;
  gboolean      packed;
  gsize         row_bytes;
  GAsyncQueue  *full, *empty;   /* of OutputChunk *; a chunk of 0 rows ends */
  GError       *error;
  gint          failed;         /* atomic */
  double        seconds;
} Encoder;

static void
encode_chunk (Encoder           *e,
              const OutputChunk *k)
{
  gint64 t0 = g_get_monotonic_time ();

  for (int r = 0; !e->failed && r < k->n; r++)
    {
      const guint8 *row = k->rows + e->row_bytes * r;
      if (!(e->packed ? image_writer_row_packed (e->writer, row, &e->error)
                      : image_writer_row (e->writer, (const float *) row, &e->error)))
        g_atomic_int_set (&e->failed, 1);
    }
  e->seconds += (g_get_monotonic_time () - t0) * 1e-6;
}

static gpointer
encoder_thread (gpointer data)
{
  Encoder *e = data;

  for (;;)
    {
      OutputChunk *k = g_async_queue_pop (e->full);
      if (k->n == 0)
        return NULL;
      encode_chunk (e, k);
      g_async_queue_push (e->empty, k);
    }
}

/* Writes the output image, OUTPUT_CHUNK_ROWS rows at a time: composited on
 * threads threads while, with more than one, another thread encodes the
 * chunk before (of two buffers). */
static gboolean
write_composite (ImageWriter     *writer,
                 const Composite *c,
                 int              threads,
                 Progress        *progress,
                 OutputTimes     *times,
                 GError         **error)
{
  const int h = c->bg->height;
  const gboolean packed = image_writer_matches (writer, c->bg);
  /* A chunk's rows: stored bytes (packed) or RGBA floats. */
  const gsize row_bytes = packed ? (gsize) c->bg->width * c->bg->channels * (c->bg->depth / 8)
                                 : (gsize) c->bg->width * 4 * sizeof (float);
  Encoder e = { writer, packed, row_bytes, g_async_queue_new (), g_async_queue_new (), NULL, 0, 0 };
  OutputChunk chunks[2], end = { .n = 0 };
  float *scratch = g_new (float, scratch_floats (c) * threads);
  GThread *encoder = threads > 1 ? g_thread_new ("hz-encode", encoder_thread, &e) : NULL;

  for (int i = 0; i < 2; i++)
    {
      chunks[i] = (OutputChunk) { c, 0, 0, g_malloc (row_bytes * OUTPUT_CHUNK_ROWS), row_bytes,
                                  packed, scratch };
      g_async_queue_push (e.empty, &chunks[i]);
    }
  for (int y0 = 0; !g_atomic_int_get (&e.failed) && y0 < h; y0 += OUTPUT_CHUNK_ROWS)
    {
      OutputChunk *k = g_async_queue_pop (e.empty);
      gint64 t0 = g_get_monotonic_time ();

      k->y0 = y0;
      k->n = MIN (OUTPUT_CHUNK_ROWS, h - y0);
      hz_parallel_for (k->n, encoder ? threads - 1 : threads, composite_task, k);
      times->composite += (g_get_monotonic_time () - t0) * 1e-6;
      if (encoder)
        g_async_queue_push (e.full, k);
      else
        {
          encode_chunk (&e, k);
          g_async_queue_push (e.empty, k);
        }
      progress_show (progress, 0.9 + 0.1 * (y0 + k->n) / h);
    }
  if (encoder)
    {
      g_async_queue_push (e.full, &end);
      g_thread_join (encoder);
    }
  times->encode += e.seconds;
  for (int i = 0; i < 2; i++)
    g_free (chunks[i].rows);
  g_free (scratch);
  g_async_queue_unref (e.full);
  g_async_queue_unref (e.empty);
  if (e.error)
    g_propagate_error (error, e.error);
  return !e.failed;
}

typedef struct
{
  const char  *path;
  const float *(*get) (const HzContext *, int *, int *);
} NetworkDump;

/* ---- main ---------------------------------------------------------------------------- */

static int
check_args (Args *a,
            int  *box,
            int  *offset)
{
  if (!a->output)
    return die (EXIT_USAGE, "no output: give -o FILE (see --help)");
  if (!!a->composite == !!(a->foreground || a->background))
    return die (EXIT_USAGE, "give either --composite or --foreground and --background (see --help)");
  if (a->foreground && !a->background)
    return die (EXIT_USAGE, "--foreground needs --background");
  if (a->background && !a->foreground)
    return die (EXIT_USAGE, "--background needs --foreground");
  if (a->composite && !a->mask)
    return die (EXIT_USAGE, "--composite needs --mask");
  if (a->composite && a->offset)
    return die (EXIT_USAGE, "--offset goes with --foreground, not --composite");

  ImageFormat of = image_format_for_path (a->output);
  if (of != IMAGE_FORMAT_PNG && of != IMAGE_FORMAT_JPEG)
    return die (EXIT_USAGE, "cannot tell the output format of '%s': use .png, .jpg or .jpeg",
                a->output);
  const char *dumps[] = { a->network_output, a->network_input, a->network_reference };
  for (guint i = 0; i < G_N_ELEMENTS (dumps); i++)
    {
      ImageFormat f = dumps[i] ? image_format_for_path (dumps[i]) : IMAGE_FORMAT_PFM;
      if (f != IMAGE_FORMAT_PFM && f != IMAGE_FORMAT_PNG)
        return die (EXIT_USAGE, "cannot tell the format of '%s': use .pfm or .png", dumps[i]);
    }

  /* Two outputs on one file: the second rename would replace the first. */
  const char *outs[] = { a->output, a->network_output, a->network_input, a->network_reference };
  for (guint i = 0; i < G_N_ELEMENTS (outs); i++)
    for (guint j = i + 1; outs[i] && j < G_N_ELEMENTS (outs); j++)
      {
        char *p = g_canonicalize_filename (outs[i], NULL);
        char *q = outs[j] ? g_canonicalize_filename (outs[j], NULL) : NULL;
        gboolean same = q && strcmp (p, q) == 0;
        g_free (p);
        g_free (q);
        if (same)
          return die (EXIT_USAGE, "'%s' is named twice as an output", outs[j]);
      }

  if (a->size != 0 && (a->size < HZ_WORKING_SIZE_MIN || a->size > HZ_WORKING_SIZE_MAX))
    return die (EXIT_USAGE, "--size %d is not in %d..%d", a->size,
                HZ_WORKING_SIZE_MIN, HZ_WORKING_SIZE_MAX);
  if (!(a->strength >= 0.0 && a->strength <= 1.0))
    return die (EXIT_USAGE, "--strength %g is not in 0..1", a->strength);
  if (a->quality < 1 || a->quality > 100)
    return die (EXIT_USAGE, "--quality %d is not in 1..100", a->quality);
  if (a->depth != 0 && a->depth != 8 && a->depth != 16)
    return die (EXIT_USAGE, "--depth %d is neither 8 nor 16", a->depth);
  if (a->depth == 16 && of == IMAGE_FORMAT_JPEG)
    return die (EXIT_USAGE, "--depth 16 needs a PNG output (JPEG is 8-bit)");
  if (a->threads < 0)
    return die (EXIT_USAGE, "--threads %d is negative", a->threads);
  if (a->threads > MAX_THREADS)
    return die (EXIT_USAGE, "--threads %d is more than %d", a->threads, MAX_THREADS);
  if (a->max_pixels < 1 || (guint64) a->max_pixels > IMAGE_MAX_PIXELS_LIMIT)
    return die (EXIT_USAGE, "--max-pixels %" G_GINT64_FORMAT " is not in 1..%" G_GUINT64_FORMAT,
                a->max_pixels, IMAGE_MAX_PIXELS_LIMIT);
  if (a->box && (!parse_ints (a->box, 4, box) || box[2] <= 0 || box[3] <= 0))
    return die (EXIT_USAGE, "--box '%s' is not X,Y,WIDTH,HEIGHT with a positive size", a->box);
  if (a->offset && !parse_ints (a->offset, 2, offset))
    return die (EXIT_USAGE, "--offset '%s' is not X,Y", a->offset);
  return 0;
}

/* The model and the input images, loaded side by side on the engine's
 * pool (the model first: it takes about as long as a decode). */
typedef struct
{
  const char *weights;
  HzModel    *model;
  const char *paths[3];   /* main (composite or foreground), background, mask; NULL: none */
  guint64     max_pixels;
  Image      *images[3];
  GError     *errors[1 + 3];   /* the model's, then the images' */
} Inputs;

static void
load_input (int      i,
            int      slot,
            gpointer data)
{
  Inputs *in = data;

  (void) slot;
  if (i == 0)
    in->model = hz_model_load (in->weights, &in->errors[0]);
  else if (in->paths[i - 1])
    in->images[i - 1] = image_load (in->paths[i - 1], in->max_pixels, &in->errors[i]);
}

static int
run (Args      *a,
     const int *box,
     const int *offset)
{
  GError *error = NULL;
  Image *main_image = NULL, *bg = NULL, *mask = NULL;
  float *scratch = NULL;
  HzRowSpan *spans = NULL;
  HzModel *model = NULL;
  HzContext *ctx = NULL;
  Outputs *outputs = NULL;
  ImageWriter *writer = NULL;
  Progress progress = { isatty (STDERR_FILENO) && !a->quiet, -1 };
  HzColorMap map;
  int status = EXIT_INPUT;
  NetworkDump dumps[] = {
    { a->network_output, hz_context_network_output },
    { a->network_input, hz_context_network_content },
    { a->network_reference, hz_context_network_reference },
  };
  const char *paths[1 + G_N_ELEMENTS (dumps)] = { a->output };
  guint n_paths = 1;
  const int threads = a->threads > 0 ? a->threads : (int) g_get_num_processors ();
  const gint64 start = g_get_monotonic_time ();
  gint64 clock = start;
  double t_load = 0, t_spans = 0;
  OutputTimes t_output = { 0 };
  HzTimings t_fit = { 0 };

  /* The outputs first: a folder that is missing shows before any work. */
  for (guint i = 0; i < G_N_ELEMENTS (dumps); i++)
    if (dumps[i].path)
      paths[n_paths++] = dumps[i].path;
  outputs = outputs_new (paths, n_paths, &error);
  if (!outputs)
    goto out;

  /* The first error in the order of in.errors is the one told. */
  Inputs in = { .weights = a->weights ? a->weights : hz_default_weights_path (),
                .paths = { a->composite ? a->composite : a->foreground, a->background, a->mask },
                .max_pixels = a->max_pixels };
  hz_init ();   /* before the pool's threads start */
  hz_parallel_for (G_N_ELEMENTS (in.errors), threads, load_input, &in);
  model = in.model;
  main_image = in.images[0];
  bg = in.images[1];
  mask = in.images[2];
  for (guint i = 0; i < G_N_ELEMENTS (in.errors); i++)
    if (!error && in.errors[i])
      g_propagate_error (&error, in.errors[i]);
    else
      g_clear_error (&in.errors[i]);
  if (error)
    goto out;
  t_load = hz_lap (&clock);

  if (mask && (mask->width != main_image->width || mask->height != main_image->height))
    {
      status = die (EXIT_INPUT, "the mask '%s' is %dx%d but the %s is %dx%d", a->mask,
                    mask->width, mask->height, a->composite ? "composite" : "foreground",
                    main_image->width, main_image->height);
      goto out;
    }
  if (!mask && !image_has_alpha (main_image))
    {
      status = die (EXIT_INPUT, "the foreground '%s' has no alpha channel: give --mask",
                    a->foreground);
      goto out;
    }

  /* In --composite mode the composite is both the foreground and the background. */
  scratch = g_new (float, (gsize) MAX (main_image->width, bg ? bg->width : 0) * 2 * threads);
  Source fg = { main_image, mask, a->foreground != NULL, scratch, threads, NULL };
  Source bgs = { bg ? bg : main_image, NULL, FALSE, scratch, threads, NULL };
  spans = source_find_spans (&fg);
  t_spans = hz_lap (&clock);
  HzScene scene = {
    .foreground = source_reader (&fg),
    .fg_x = offset[0], .fg_y = offset[1],
    .background = source_reader (&bgs),
    .has_box = a->box != NULL,
    .box = { box[0], box[1], box[2], box[3] },
  };
  HzOptions options;

  hz_options_init (&options);
  options.working_size = a->size;
  options.strength = a->strength;
  options.n_threads = a->threads;
  options.progress = fit_progress;
  options.progress_data = &progress;

  ctx = hz_context_new (model);
  if (!hz_fit_scene (ctx, &scene, &options, &map, &error))
    {
      if (g_error_matches (error, HZ_ERROR, HZ_ERROR_INPUT) && mask_is_empty (&fg))
        {
          char *origin = mask_origin (&fg, a->mask, a->foreground);
          g_clear_error (&error);
          g_set_error (&error, HZ_ERROR, HZ_ERROR_INPUT,
                       "the mask is empty: its value, %s, is zero everywhere", origin);
          g_free (origin);
        }
      goto out;
    }
  hz_context_timings (ctx, &t_fit);

  for (guint i = 0, k = 1; i < G_N_ELEMENTS (dumps); i++)
    {
      int w, h;
      const float *data;

      if (!dumps[i].path)
        continue;
      data = dumps[i].get (ctx, &w, &h);
      if (!image_write_planar (outputs_file (outputs, k++), dumps[i].path,
                               image_format_for_path (dumps[i].path), data, w, h, &error))
        goto out;
    }

  ImageFormat of = image_format_for_path (a->output);
  int depth = a->depth ? a->depth : main_image->depth;
  writer = image_writer_new (outputs_file (outputs, 0), a->output, of, bgs.image->width,
                             bgs.image->height, image_has_alpha (bgs.image) ? 4 : 3, depth,
                             a->quality, &error);
  if (!writer)
    goto out;
  Composite composite = { &fg, offset[0], offset[1], bgs.image, &map, a->strength, writer };
  if (!write_composite (writer, &composite, threads, &progress, &t_output, &error))
    goto out;
  hz_lap (&clock);
  if (!image_writer_finish (writer, &error))
    goto out;
  t_output.encode += hz_lap (&clock);

  /* Every file is complete: put them in place. */
  if (!outputs_commit (outputs, &error))
    goto out;
  progress_show (&progress, 1.0);
  status = EXIT_SUCCESS;
  if (a->timing)
    fprintf (stderr, "harmonize: seconds: weights and decode %.3f, mask rows %.3f, read %.3f, "
             "network %.3f, fit %.3f, composite %.3f, encode %.3f (beside the compositing), "
             "total %.3f\n",
             t_load, t_spans, t_fit.read, t_fit.network, t_fit.fit, t_output.composite,
             t_output.encode, (g_get_monotonic_time () - start) * 1e-6);

out:
  if (error)
    {
      if (progress.shown && progress.percent >= 0 && progress.percent < 100)
        fputc ('\n', stderr);
      die (status, "%s", error->message);
      g_error_free (error);
    }
  image_writer_free (writer);
  outputs_free (outputs);
  hz_context_free (ctx);
  hz_model_free (model);
  image_free (main_image);
  image_free (bg);
  image_free (mask);
  g_free (scratch);
  g_free (spans);
  return status;
}

int
main (int    argc,
      char **argv)
{
  Args a = { .size = 0, .strength = 1.0, .quality = 95, .max_pixels = IMAGE_MAX_PIXELS_DEFAULT };
  int box[4] = { 0 }, offset[2] = { 0 };
  GError *error = NULL;
  GOptionEntry entries[] = {
    { "composite", 'c', 0, G_OPTION_ARG_FILENAME, &a.composite,
      "Image with the foreground already pasted in", "FILE" },
    { "foreground", 'f', 0, G_OPTION_ARG_FILENAME, &a.foreground,
      "Foreground layer (with --background)", "FILE" },
    { "background", 'b', 0, G_OPTION_ARG_FILENAME, &a.background,
      "Background (with --foreground)", "FILE" },
    { "mask", 'm', 0, G_OPTION_ARG_FILENAME, &a.mask,
      "The foreground's mask, the size of the composite or foreground", "FILE" },
    { "offset", 0, 0, G_OPTION_ARG_STRING, &a.offset,
      "Where the foreground's top-left corner goes on the background (default 0,0)", "X,Y" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &a.output,
      "Result: .png or .jpg", "FILE" },
    { "box", 0, 0, G_OPTION_ARG_STRING, &a.box,
      "Reference region of the background (default: all of it)", "X,Y,W,H" },
    { "size", 's', 0, G_OPTION_ARG_INT, &a.size,
      "Working size: long side of the network's input, 64..1024 (default: the one the weights were "
      "trained for)", "N" },
    { "strength", 0, 0, G_OPTION_ARG_DOUBLE, &a.strength,
      "0 keeps the foreground, 1 harmonizes fully (default 1)", "S" },
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME, &a.weights,
      "Weights file (default: $HARMONIZE_WEIGHTS, else the installed one)", "FILE" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &a.threads,
      "Threads to use (default 0: every core)", "N" },
    { "quality", 'q', 0, G_OPTION_ARG_INT, &a.quality,
      "JPEG output quality, 1..100 (default 95)", "Q" },
    { "depth", 0, 0, G_OPTION_ARG_INT, &a.depth,
      "PNG output bits per channel, 8 or 16 (default: the input's)", "BITS" },
    { "max-pixels", 0, 0, G_OPTION_ARG_INT64, &a.max_pixels,
      "Refuse input images of more pixels than this (default 268435456 = 2^28)", "N" },
    { "network-output", 0, 0, G_OPTION_ARG_FILENAME, &a.network_output,
      "Also write the network's raw output (.pfm or 16-bit .png)", "FILE" },
    { "network-input", 0, 0, G_OPTION_ARG_FILENAME, &a.network_input,
      "Also write the network's content input (.pfm or .png)", "FILE" },
    { "network-reference", 0, 0, G_OPTION_ARG_FILENAME, &a.network_reference,
      "Also write the network's reference input (.pfm or .png)", "FILE" },
    { "quiet", 0, 0, G_OPTION_ARG_NONE, &a.quiet,
      "No progress line", NULL },
    { "timing", 0, 0, G_OPTION_ARG_NONE, &a.timing,
      "At the end, print the seconds each phase took", NULL },
    { NULL }
  };
  GOptionContext *context = g_option_context_new ("- harmonize a pasted foreground with its background");
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context, description);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    status = die (EXIT_USAGE, "%s (see --help)", error->message);
  else if (argc > 1)
    status = die (EXIT_USAGE, "unexpected argument '%s' (see --help)", argv[1]);
  else if ((status = check_args (&a, box, offset)) == 0)
    status = run (&a, box, offset);

  g_clear_error (&error);
  g_option_context_free (context);
  g_free (a.composite);
  g_free (a.foreground);
  g_free (a.background);
  g_free (a.mask);
  g_free (a.output);
  g_free (a.box);
  g_free (a.offset);
  g_free (a.weights);
  g_free (a.network_output);
  g_free (a.network_input);
  g_free (a.network_reference);
  return status;
}
